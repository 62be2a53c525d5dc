import { kmeans } from 'ml-kmeans';
import type { KMeansFit, KMeansOptions } from './sparse-kmeans.js';

/**
 * K-means on dense rows (the SVD-projected documents) with ml-kmeans: its k-means++ seeding
 * (scikit-learn's greedy variant), seeded, and its Lloyd iterations. ml-kmeans runs one start
 * per call and reports no SSE, so the restarts and the SSE are computed here.
 */
export function denseKMeans(rows: Float64Array, dims: number, k: number, options: KMeansOptions): KMeansFit {
  const n = rows.length / dims;
  if (k < 1 || k > n) throw new Error(`k = ${k}: expected 1 <= k <= ${n} (the number of documents)`);
  const points: number[][] = [];
  for (let i = 0; i < n; i++) points.push(Array.from(rows.subarray(i * dims, (i + 1) * dims)));
  let best: KMeansFit | undefined;
  for (let r = 0; r < options.restarts; r++) {
    const result = kmeans(points, k, {
      initialization: 'kmeans++',
      seed: options.seed + r * 7919,
      maxIterations: options.maxIterations,
    });
    const centroids = new Float64Array(k * dims);
    result.centroids.forEach((centroid, c) => {
      centroids.set(centroid, c * dims);
    });
    const labels = Int32Array.from(result.clusters);
    let sse = 0;
    for (let i = 0; i < n; i++) {
      const offset = labels[i]! * dims;
      for (let j = 0; j < dims; j++) {
        const diff = rows[i * dims + j]! - centroids[offset + j]!;
        sse += diff * diff;
      }
    }
    if (!best || sse < best.sse) best = { k, labels, centroids, sse, iterations: result.iterations };
  }
  return best!;
}
