import { readFileSync } from 'node:fs';
import { createRng } from '@hydralora/common';
import { describe, expect, it } from 'vitest';
import type { CsrMatrix } from './csr.js';
import { csrToDense } from './csr.js';
import { findComponents } from './find-components.js';
import { adjustedRandIndex } from './metrics.js';
import { clusterMeans, cosineKnnGraph, distinctRows, spectralEmbedding, spectralFit } from './spectral.js';

// scikit-learn 1.2's kneighbors_graph / SpectralClustering and NumPy's eigh, written by
// scripts/make_spectral_fixture.py.
const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/spectral.json', import.meta.url), 'utf8'),
) as {
  neighbors: number;
  connected: {
    points: number[][];
    connectivity: number[][];
    cosine: number[][];
    eigenvalues: number[];
    eigenvectors: number[][];
    spectralLabels: number[];
    groups: number[];
  };
  disconnected: { neighbors: number; points: number[][]; cosine: number[][]; eigenvalues: number[] };
};

const dense = (points: number[][]) => ({ rows: Float64Array.from(points.flat()), dims: points[0]!.length });
const toCsr = (points: number[][]): CsrMatrix => {
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const row of points) {
    row.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        data.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return {
    rows: points.length,
    cols: points[0]!.length,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
};
const expectMatrixClose = (actual: number[][], expected: number[][], digits = 12) => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => {
    row.forEach((v, j) => {
      expect(v, `[${i}][${j}]`).toBeCloseTo(expected[i]![j]!, digits);
    });
  });
};

describe('cosine kNN graph', () => {
  const { points, connectivity, cosine } = fixture.connected;
  it("matches sklearn's symmetrised kneighbors_graph (connectivity) on dense rows", () => {
    expectMatrixClose(
      csrToDense(cosineKnnGraph(dense(points), fixture.neighbors, 'connectivity')),
      connectivity,
    );
  });
  it("matches sklearn's symmetrised kneighbors_graph (1 − cosine distance) on dense rows", () => {
    expectMatrixClose(csrToDense(cosineKnnGraph(dense(points), fixture.neighbors, 'cosine')), cosine);
  });
  it('gives the same graph on sparse rows as on the same rows dense', () => {
    expectMatrixClose(csrToDense(cosineKnnGraph(toCsr(points), fixture.neighbors, 'cosine')), cosine);
  });
  it('has no edge to a row with no positive similarity, and caps neighbours at n − 1', () => {
    const graph = cosineKnnGraph(
      toCsr([
        [1, 0, 0],
        [1, 1, 0],
        [0, 0, 1],
      ]),
      5,
      'connectivity',
    );
    expect(csrToDense(graph)).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    expect(() => cosineKnnGraph(dense(points), 0)).toThrow(/neighbors 0/);
  });
});

describe('spectral embedding', () => {
  it("matches NumPy's eigh of D^-1/2 W D^-1/2: eigenvalues and (up to sign) eigenvectors", () => {
    const { cosine, eigenvalues, eigenvectors } = fixture.connected;
    const n = cosine.length;
    const embedding = spectralEmbedding(
      cosineKnnGraph(dense(fixture.connected.points), fixture.neighbors),
      6,
      {
        tolerance: 1e-10,
      },
    );
    Array.from(embedding.values).forEach((v, c) => {
      expect(v).toBeCloseTo(eigenvalues[c]!, 9);
    });
    // eigenvalues 1 > 0.9959 > 0.9808 > 0.4858 are simple: the vectors agree up to sign
    for (let c = 0; c < 4; c++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += embedding.vectors[i * 6 + c]! * eigenvectors[c]![i]!;
      expect(Math.abs(dot)).toBeCloseTo(1, 8);
    }
  });
  it('finds a repeated eigenvalue (3 connected components: eigenvalue 1 three times)', () => {
    const { points, neighbors, cosine, eigenvalues } = fixture.disconnected;
    const graph = cosineKnnGraph(dense(points), neighbors);
    expectMatrixClose(csrToDense(graph), cosine);
    const embedding = spectralEmbedding(graph, 5, { seed: 3 });
    for (let c = 0; c < 3; c++) expect(eigenvalues[c]!).toBeCloseTo(1, 12);
    Array.from(embedding.values).forEach((v, c) => {
      expect(v).toBeCloseTo(eigenvalues[c]!, 6);
    });
  });
  it('rejects a non-square graph and out-of-range dims', () => {
    const graph = cosineKnnGraph(dense(fixture.connected.points), 3);
    expect(() => spectralEmbedding({ ...graph, cols: 3 }, 2)).toThrow(/not square/);
    expect(() => spectralEmbedding(graph, 46)).toThrow(/dims 46/);
  });
});

describe('spectral clustering (Ng–Jordan–Weiss)', () => {
  it("agrees with sklearn's SpectralClustering(affinity='precomputed') on the fixture graph", () => {
    const features = dense(fixture.connected.points);
    const embedding = spectralEmbedding(cosineKnnGraph(features, fixture.neighbors), 3);
    const fit = spectralFit(embedding, features, 3, { seed: 0, restarts: 3, maxIterations: 100 });
    expect(adjustedRandIndex(fixture.connected.spectralLabels, Array.from(fit.labels))).toBe(1);
  });
  it('reports centroids and SSE of the clusters in the feature space', () => {
    const points = [
      [1, 0],
      [3, 0],
      [0, 2],
      [0, 4],
    ];
    const fit = clusterMeans(dense(points), Int32Array.from([0, 0, 1, 1]), 2);
    expect(Array.from(fit.centroids)).toEqual([2, 0, 0, 3]);
    expect(fit.sse).toBeCloseTo(1 + 1 + 1 + 1, 12);
    expect(clusterMeans(toCsr(points), Int32Array.from([0, 0, 1, 1]), 2).sse).toBeCloseTo(4, 12);
  });
});

/** 4 topics × 40 documents of 8 words from the topic's vocabulary; truth in `labels`. */
function topicCorpus(seed: number) {
  const topics = [
    'apple banana cherry grape lemon mango orange peach pear plum',
    'car truck engine wheel brake gear motor tyre clutch diesel',
    'violin piano guitar drum flute cello trumpet harp organ oboe',
    'granite basalt marble slate quartz shale chalk flint gneiss schist',
  ];
  const random = createRng(seed);
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 160; i++) {
    const words = topics[i % 4]!.split(' ');
    texts.push(Array.from({ length: 8 }, () => words[random.int(words.length)]).join(' '));
    labels.push(i % 4);
  }
  return { texts, labels };
}

describe('distinct rows', () => {
  it('maps every row to its first identical row, sparse and dense', () => {
    const points = [
      [1, 0, 2],
      [0, 3, 0],
      [1, 0, 2],
      [0, 0, 0],
      [0, 3, 0],
    ];
    for (const features of [toCsr(points), dense(points)]) {
      const distinct = distinctRows(features);
      expect(distinct.count).toBe(3);
      expect(Array.from(distinct.of)).toEqual([0, 1, 0, 2, 1]);
      const rows =
        'indptr' in distinct.features ? csrToDense(distinct.features) : [[...distinct.features.rows]];
      expect(rows.flat()).toEqual([1, 0, 2, 0, 3, 0, 0, 0, 0]);
    }
  });
});

describe('findComponents with the spectral algorithm', () => {
  it('keeps duplicated documents together', () => {
    const { texts } = topicCorpus(2);
    const doubled = [...texts, ...texts];
    const result = findComponents(doubled, { algorithm: 'spectral', kMax: 6 });
    expect(result.k).toBe(4);
    expect(result.labels.slice(160)).toEqual(result.labels.slice(0, 160));
  });

  const corpus = topicCorpus(0);
  it('recovers the components of a synthetic corpus and says which algorithm ran', () => {
    const result = findComponents(corpus.texts, { algorithm: 'spectral', kMax: 8 });
    expect(result.algorithm).toBe('spectral');
    expect(result.k).toBe(4);
    expect(adjustedRandIndex(corpus.labels, result.labels)).toBe(1);
    // the model assigns the training texts to their own clusters (centroids in TF-IDF space)
    expect(result.model.assign(corpus.texts)).toEqual(result.labels);
    expect(result.sse[0]!).toBeGreaterThan(result.sse[3]!);
  });
  it("'auto' is spectral up to spectralMaxDocuments documents and k-means above", () => {
    expect(findComponents(corpus.texts, { kMax: 6 }).algorithm).toBe('kmeans'); // the default
    expect(findComponents(corpus.texts, { kMax: 6, algorithm: 'auto' }).algorithm).toBe('spectral');
    const above = findComponents(corpus.texts, {
      kMax: 6,
      algorithm: 'auto',
      spectralMaxDocuments: corpus.texts.length - 1,
    });
    expect(above.algorithm).toBe('kmeans');
    expect(findComponents(corpus.texts, { kMax: 6, algorithm: 'kmeans' }).labels).toEqual(above.labels);
  });
  it('runs 10 k-means starts by default with the spectral algorithm, 3 with k-means', () => {
    const config = { kMax: 6, seed: 5 } as const;
    const spectral = findComponents(corpus.texts, { ...config, algorithm: 'spectral' });
    expect(spectral.sse).toEqual(
      findComponents(corpus.texts, { ...config, algorithm: 'spectral', restarts: 10 }).sse,
    );
    const kmeans = findComponents(corpus.texts, { ...config, algorithm: 'kmeans' });
    expect(kmeans.sse).toEqual(
      findComponents(corpus.texts, { ...config, algorithm: 'kmeans', restarts: 3 }).sse,
    );
  });
  it('is deterministic for a seed and validates its options', () => {
    const a = findComponents(corpus.texts, { algorithm: 'spectral', kMax: 6, seed: 4 });
    const b = findComponents(corpus.texts, { algorithm: 'spectral', kMax: 6, seed: 4 });
    expect(b.labels).toEqual(a.labels);
    expect(b.silhouette).toEqual(a.silhouette);
    expect(() => findComponents(corpus.texts, { spectralNeighbors: 0 })).toThrow(/spectralNeighbors/);
    // @ts-expect-error: not an algorithm
    expect(() => findComponents(corpus.texts, { algorithm: 'dbscan' })).toThrow(/algorithm/);
  });
});
