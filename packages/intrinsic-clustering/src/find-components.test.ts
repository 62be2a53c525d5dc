import { createRng } from '@hydralora/common';
import { describe, expect, it } from 'vitest';
import { clusterTfidfConfigSchema } from './config.js';
import { findComponents, findComponentsInEmbeddings, type ProgressEvent } from './find-components.js';
import { normalizedMutualInfo } from './metrics.js';
import { ClusterModel } from './model.js';
import { cosineSilhouette } from './silhouette.js';
import { sparseKMeans } from './sparse-kmeans.js';
import { TfidfVectorizer } from './tfidf.js';

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

  for (const [reduction, criterion] of [
    ['sparse', 'silhouette'],
    ['sparse', 'elbow'],
    ['svd', 'silhouette'],
    ['svd', 'elbow'],
  ] as const) {
    it(`recovers 3 topics with the ${criterion} (${reduction})`, () => {
      const events: ProgressEvent[] = [];
      const result = findComponents(texts, { reduction, criterion, kMax: 8, svdComponents: 10 }, (e) =>
        events.push(e),
      );
      expect(result.k).toBe(3);
      expect(result.criterion).toBe(criterion);
      // both criteria agree here: the elbow and the silhouette maximum are at K = 3
      expect(result.elbow.k).toBe(3);
      expect(result.silhouette).toHaveLength(8);
      expect(Math.max(...result.silhouette.slice(1).map(Number))).toBe(result.silhouette[2]);
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

  it('warns, naming the empty clusters, when K = 3 is forced on 20 identical documents', () => {
    const same = Array.from({ length: 20 }, () => 'the same instruction about apples and pears');
    // both algorithms keep identical documents together (spectral clusters the distinct rows)
    for (const algorithm of ['kmeans', 'spectral'] as const) {
      const result = findComponents(same, { kMax: 3, k: 3, algorithm });
      expect(result.sizes).toEqual([20, 0, 0]);
      expect(result.warnings).toEqual([
        'the corpus has 1 distinct document(s) for K = 3: at most 1 cluster(s) can differ',
        'K = 3: cluster(s) 1, 2 are empty (sizes [20, 0, 0]); the documents do not separate into 3 groups: use a smaller K',
      ]);
    }
    // a corpus that does separate has no warnings
    const varied = Array.from(
      { length: 30 },
      (_, i) => `${['apple pear', 'car truck', 'violin piano'][i % 3]} ${i}`,
    );
    expect(findComponents(varied, { kMax: 3, k: 3, algorithm: 'kmeans' }).warnings).toEqual([]);
    expect(findComponents(varied, { kMax: 3, k: 3, algorithm: 'spectral' }).warnings).toEqual([]);
  });

  it('applies silhouetteTolerance to the returned silhouette curve', () => {
    for (const silhouetteTolerance of [0, 0.03, 0.3, 0.9]) {
      const result = findComponents(texts, { reduction: 'sparse', kMax: 8, silhouetteTolerance });
      const scores = result.silhouette.map((s) => s ?? Number.NEGATIVE_INFINITY);
      const best = Math.max(...scores);
      // the smallest K whose silhouette is at least (1 − τ) × the largest
      const expected = result.ks[scores.findIndex((s) => s >= best - silhouetteTolerance * Math.abs(best))];
      expect(result.k).toBe(expected);
    }
    // a large tolerance picks K = 2, the smallest K with a silhouette
    expect(findComponents(texts, { reduction: 'sparse', kMax: 8, silhouetteTolerance: 0.9 }).k).toBe(2);
  });

  it("restartSelection 'silhouette' keeps, at each K, the start with the largest silhouette", () => {
    const config = { algorithm: 'kmeans', reduction: 'sparse', kMax: 6, restarts: 4, seed: 3 } as const;
    const bySse = findComponents(texts, config);
    const bySilhouette = findComponents(texts, { ...config, restartSelection: 'silhouette' });
    const { matrix } = TfidfVectorizer.fitTransform(texts, clusterTfidfConfigSchema.parse({}));
    for (let k = 2; k <= 6; k++) {
      const starts = Array.from({ length: 4 }, (_, r) =>
        sparseKMeans(matrix, k, { seed: 3 + r * 7919, restarts: 1, maxIterations: 100, tolerance: 1e-4 }),
      );
      const scores = starts.map((fit) => cosineSilhouette(matrix, fit.labels, k));
      expect(bySilhouette.silhouette[k - 1]).toBeCloseTo(Math.max(...scores), 12);
      // the default keeps the lowest-SSE start, whose silhouette may be lower
      const lowest = starts.reduce((a, b) => (b.sse < a.sse ? b : a));
      expect(bySse.sse[k - 1]).toBeCloseTo(lowest.sse, 12);
      expect(bySse.silhouette[k - 1]!).toBeLessThanOrEqual(Math.max(...scores) + 1e-12);
    }
    expect(() => findComponents(texts, { restartSelection: 'best' as never })).toThrow(
      /cluster config: field restartSelection: .*\(got "best"\)/,
    );
  });

  it('rejects bad input with clear messages', () => {
    expect(() => findComponents([])).toThrow(/corpus is empty/);
    expect(() => findComponents(['a b', 'c d'], { kMax: 3 })).toThrow(/2 documents, fewer than K = 3/);
    expect(() => findComponents(texts, { kMax: 0 })).toThrow(/cluster config: field kMax: .* \(got 0\)/);
    expect(() => findComponents(texts, { tfidf: { ngramRange: [1, 2], bogus: 1 } as never })).toThrow(
      /tfidf/,
    );
    expect(() => findComponents(texts, { criterion: 'gap' as never })).toThrow(
      /cluster config: field criterion: .*\(got "gap"\)/,
    );
    expect(() => findComponents(texts, { silhouetteTolerance: 1 })).toThrow(
      /cluster config: field silhouetteTolerance: .*\(got 1\)/,
    );
    expect(() => findComponents(texts, { silhouetteTolerance: -0.1 })).toThrow(
      /cluster config: field silhouetteTolerance: .*\(got -0.1\)/,
    );
    expect(() => ClusterModel.fromJSON({ format: 'other' })).toThrow(
      /cluster model: field format: .* \(got "other"\)/,
    );
  });
});

describe('findComponentsInEmbeddings', () => {
  // 3 directions in 6 dims, 15 noisy vectors each (varying length: the rows are normalised)
  const random = createRng(4);
  const truth: number[] = [];
  const vectors = Array.from({ length: 45 }, (_, i) => {
    truth.push(i % 3);
    const v = new Float32Array(6).map(() => 0.15 * random.normal());
    v[2 * (i % 3)]! += 1 + (i % 5);
    v[2 * (i % 3) + 1]! += 0.5 * (1 + (i % 5));
    return v;
  });

  for (const criterion of ['silhouette', 'elbow'] as const) {
    it(`recovers 3 groups of vectors with the ${criterion}`, () => {
      const result = findComponentsInEmbeddings(vectors, { kMax: 6, criterion });
      expect(result.k).toBe(3);
      expect(normalizedMutualInfo(truth, result.labels)).toBeCloseTo(1, 12);
      expect(result.sizes).toEqual([15, 15, 15]);
      expect(result.dims).toBe(6);
      expect(result.centroids).toHaveLength(18);
      expect(result.warnings).toEqual([]);
    });
  }

  it('rejects bad vectors and config naming them', () => {
    expect(() => findComponentsInEmbeddings([])).toThrow(/no vectors to cluster/);
    expect(() => findComponentsInEmbeddings([[1, 2], [1]], { kMax: 2 })).toThrow(
      /vectors\[1\] has 1 dimensions, expected 2/,
    );
    expect(() =>
      findComponentsInEmbeddings(
        [
          [1, Number.NaN],
          [1, 2],
        ],
        { kMax: 2 },
      ),
    ).toThrow(/vectors\[0\]\[1\] is NaN/);
    expect(() => findComponentsInEmbeddings(vectors, { kMax: 99 })).toThrow(/45 vectors, fewer than K = 99/);
    expect(() => findComponentsInEmbeddings(vectors, { reduction: 'svd' } as never)).toThrow(
      /embedding cluster config/,
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
