import { createRng } from '@hydralora/common';
import { describe, expect, it } from 'vitest';
import { findComponents, type ProgressEvent } from './find-components.js';
import { normalizedMutualInfo } from './metrics.js';
import { ClusterModel } from './model.js';

const topics = [
  'apple banana cherry grape lemon mango orange peach pear plum',
  'car truck engine wheel brake gear motor tyre clutch diesel',
  'violin piano guitar drum flute cello trumpet harp organ oboe',
];

/** 3 topics × 20 documents of 8 words from the topic's vocabulary; truth in `labels`. */
function topicCorpus(seed: number) {
  const random = createRng(seed);
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 60; i++) {
    const words = topics[i % 3]!.split(' ');
    texts.push(Array.from({ length: 8 }, () => words[random.int(words.length)]).join(' '));
    labels.push(i % 3);
  }
  return { texts, labels };
}

describe('findComponents', () => {
  const { texts, labels } = topicCorpus(1);

  for (const reduction of ['sparse', 'svd'] as const) {
    it(`recovers 3 topics with the elbow (${reduction})`, () => {
      const events: ProgressEvent[] = [];
      const result = findComponents(texts, { reduction, kMax: 8, svdComponents: 10 }, (e) => events.push(e));
      expect(result.k).toBe(3);
      expect(result.elbow.forced).toBe(false);
      expect(result.ks).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(result.sse).toHaveLength(8);
      expect(normalizedMutualInfo(labels, result.labels)).toBeCloseTo(1, 12);
      expect(result.sizes).toEqual([20, 20, 20]);
      // Each cluster's top terms all come from one topic.
      for (const terms of result.topTerms.map((t) => t.slice(0, 5))) {
        expect(topics.filter((topic) => terms.every((term) => topic.split(' ').includes(term)))).toHaveLength(
          1,
        );
      }
      expect(events.at(-1)).toEqual({ stage: 'kmeans', done: 8, total: 8 });
      expect(events.some((e) => e.stage === 'svd')).toBe(reduction === 'svd');
      // The fitted model labels the training texts as the clustering did, also after JSON.
      expect(result.model.assign(texts)).toEqual(result.labels);
      const copy = ClusterModel.fromJSON(JSON.parse(JSON.stringify(result.model.toJSON())));
      expect(copy.assign(texts)).toEqual(result.labels);
      const fruit = result.labels[0]!;
      expect(copy.assign(['mango and peach with a pear', 'piano harp'])[0]).toBe(fruit);
    });
  }

  it('is deterministic for a seed and honours a forced K', () => {
    const a = findComponents(texts, { kMax: 5, seed: 7 });
    const b = findComponents(texts, { kMax: 5, seed: 7 });
    expect(b.labels).toEqual(a.labels);
    expect(b.sse).toEqual(a.sse);
    const forced = findComponents(texts, { kMax: 4, k: 6 });
    expect(forced.k).toBe(6);
    expect(forced.elbow.forced).toBe(true);
    expect(forced.sse).toHaveLength(4);
    expect(forced.sizes).toHaveLength(6);
    expect(forced.sizes.reduce((s, v) => s + v, 0)).toBe(60);
  });

  it('rejects bad input with clear messages', () => {
    expect(() => findComponents([])).toThrow(/corpus is empty/);
    expect(() => findComponents(['a b', 'c d'], { kMax: 3 })).toThrow(/2 documents, fewer than K = 3/);
    expect(() => findComponents(texts, { kMax: 0 })).toThrow(/cluster config: field kMax: .* \(got 0\)/);
    expect(() => findComponents(texts, { tfidf: { ngramRange: [1, 2], bogus: 1 } as never })).toThrow(
      /tfidf/,
    );
    expect(() => ClusterModel.fromJSON({ format: 'other' })).toThrow(
      /cluster model: field format: .* \(got "other"\)/,
    );
  });
});

describe('model files', () => {
  it('saves atomically and loads back; a bad file names itself', async () => {
    const { mkdtempSync, writeFileSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadModel, saveModel } = await import('./model-file.js');
    const dir = mkdtempSync(join(tmpdir(), 'model-'));
    const { texts } = topicCorpus(2);
    const result = findComponents(texts, { kMax: 4 });
    await saveModel(result.model, join(dir, 'clusters.json'));
    expect(readdirSync(dir)).toEqual(['clusters.json']);
    expect((await loadModel(join(dir, 'clusters.json'))).assign(texts)).toEqual(result.labels);
    writeFileSync(join(dir, 'bad.json'), '{"format": "hydralora-intrinsic-clustering", "version": 2}');
    await expect(loadModel(join(dir, 'bad.json'))).rejects.toThrow(
      /bad\.json: cluster model: field version: /,
    );
  });
});
