import { createRng } from '@hydralora/common';
import { describe, expect, it } from 'vitest';
import type { CsrMatrix } from './csr.js';
import { denseKMeans } from './dense-kmeans.js';
import { sparseKMeans } from './sparse-kmeans.js';

/** `groups` blobs: blob g lives on columns [g·w, (g+1)·w) (its first always set) with random positive weights. */
function blobs(
  groups: number,
  perGroup: number,
  width: number,
  seed: number,
): { x: CsrMatrix; truth: number[] } {
  const random = createRng(seed);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  const truth: number[] = [];
  for (let i = 0; i < groups * perGroup; i++) {
    const g = i % groups;
    for (let c = 0; c < width; c++) {
      if (c === 0 || random.next() < 0.6) {
        indices.push(g * width + c);
        data.push(0.5 + random.next());
      }
    }
    indptr.push(indices.length);
    truth.push(g);
  }
  const x = {
    rows: truth.length,
    cols: groups * width,
    indptr: Int32Array.from(indptr),
    indices: Int32Array.from(indices),
    data: Float64Array.from(data),
  };
  return { x, truth };
}

function bruteSse(x: CsrMatrix, labels: Int32Array, centroids: Float64Array): number {
  let sse = 0;
  for (let i = 0; i < x.rows; i++) {
    const row = new Float64Array(x.cols);
    for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) row[x.indices[p]!] = x.data[p]!;
    for (let j = 0; j < x.cols; j++) sse += (row[j]! - centroids[labels[i]! * x.cols + j]!) ** 2;
  }
  return sse;
}

const options = { seed: 3, restarts: 3, maxIterations: 100 };

describe('sparse k-means', () => {
  it('recovers well-separated groups exactly, with a correct SSE and mean centroids', () => {
    const { x, truth } = blobs(4, 25, 6, 1);
    const fit = sparseKMeans(x, 4, options);
    const mapping = new Map<number, number>();
    truth.forEach((g, i) => {
      if (!mapping.has(g)) mapping.set(g, fit.labels[i]!);
      expect(fit.labels[i]).toBe(mapping.get(g));
    });
    expect(new Set(mapping.values()).size).toBe(4);
    expect(fit.sse).toBeCloseTo(bruteSse(x, fit.labels, fit.centroids), 9);
  });

  it('K = 1: the centroid is the mean and the SSE is the total scatter', () => {
    const { x } = blobs(3, 10, 4, 2);
    const fit = sparseKMeans(x, 1, options);
    const mean = new Float64Array(x.cols);
    for (let p = 0; p < x.data.length; p++) mean[x.indices[p]!]! += x.data[p]! / x.rows;
    Array.from(mean).forEach((v, j) => {
      expect(fit.centroids[j]).toBeCloseTo(v, 12);
    });
    expect(fit.sse).toBeCloseTo(bruteSse(x, fit.labels, mean), 9);
  });

  it('is deterministic for a seed, and K = n gives SSE 0', () => {
    const { x } = blobs(3, 20, 5, 4);
    const a = sparseKMeans(x, 5, options);
    const b = sparseKMeans(x, 5, options);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.sse).toBe(b.sse);
    const small = blobs(2, 3, 3, 5).x;
    expect(sparseKMeans(small, 6, options).sse).toBeCloseTo(0, 12);
    expect(() => sparseKMeans(small, 7, options)).toThrow(/k = 7/);
  });

  it('agrees with ml-kmeans (dense path) on the same points', () => {
    const { x } = blobs(3, 15, 4, 6);
    const dense = new Float64Array(x.rows * x.cols);
    for (let i = 0; i < x.rows; i++) {
      for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) dense[i * x.cols + x.indices[p]!] = x.data[p]!;
    }
    const sparse = sparseKMeans(x, 3, options);
    const viaMl = denseKMeans(dense, x.cols, 3, options);
    expect(viaMl.sse).toBeCloseTo(sparse.sse, 9);
  });
});
