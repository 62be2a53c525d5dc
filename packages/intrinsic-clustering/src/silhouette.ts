import type { CsrMatrix } from './csr.js';

/**
 * Mean silhouette coefficient (Rousseeuw 1987) under the cosine distance `1 − x·y / (‖x‖‖y‖)`,
 * the definition of scikit-learn's `silhouette_score(X, labels, metric='cosine')`: for each
 * document `a` = mean distance to the other members of its cluster, `b` = the smallest mean
 * distance to another cluster, `s = (b − a) / max(a, b)` (0 for a document alone in its cluster);
 * the score is the mean of `s`.
 *
 * Exact and linear in the corpus: on unit rows the mean distance from `x` to a cluster `C` is
 * `1 − x·S_C / |C|` with `S_C` the sum of `C`'s rows (self excluded for `a`), so the pairwise
 * `n × n` distances are never formed: O(nnz · k) per K instead of sklearn's O(n² · dims).
 * Rows are normalised here (a zero row stays zero: distance 1 to every other row, as in sklearn).
 */
export type FeatureRows = CsrMatrix | { rows: Float64Array; dims: number };

/** Rows and columns of `features` (sparse or dense). */
export function featureShape(features: FeatureRows): { n: number; dims: number } {
  return 'indptr' in features
    ? { n: features.rows, dims: features.cols }
    : { n: features.rows.length / features.dims, dims: features.dims };
}

/** Silhouette of `labels` (values in `0..k−1`) on `features`; `NaN` when not defined (k < 2 or k ≥ n non-empty). */
export function cosineSilhouette(features: FeatureRows, labels: ArrayLike<number>, k: number): number {
  const { n, dims } = featureShape(features);
  if (labels.length !== n) throw new Error(`silhouette: ${labels.length} labels for ${n} rows`);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new Error(`silhouette: labels[${i}] is ${label}; expected an integer in [0, ${k})`);
    }
    sizes[label]! += 1;
  }
  const used = sizes.filter((s) => s > 0).length;
  if (used < 2 || used >= n) return Number.NaN; // sklearn raises: 2 <= n_labels <= n_samples - 1
  // Each row as (indices, unit values); the cluster sums S_C, dense k × dims.
  const row = (i: number): { idx: ArrayLike<number> | null; val: Float64Array; norm2: number } => {
    let val: Float64Array;
    let idx: ArrayLike<number> | null = null;
    if ('indptr' in features) {
      const start = features.indptr[i]!;
      const end = features.indptr[i + 1]!;
      idx = features.indices.subarray(start, end);
      val = Float64Array.from(features.data.subarray(start, end));
    } else val = Float64Array.from(features.rows.subarray(i * dims, (i + 1) * dims));
    let s = 0;
    for (const v of val) s += v * v;
    if (s > 0) {
      const scale = 1 / Math.sqrt(s);
      for (let j = 0; j < val.length; j++) val[j] = val[j]! * scale;
    }
    return { idx, val, norm2: s > 0 ? 1 : 0 };
  };
  const sums = new Float64Array(k * dims);
  for (let i = 0; i < n; i++) {
    const { idx, val } = row(i);
    const offset = labels[i]! * dims;
    for (let p = 0; p < val.length; p++) sums[offset + (idx ? idx[p]! : p)]! += val[p]!;
  }
  let total = 0;
  const dots = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const { idx, val, norm2 } = row(i);
    dots.fill(0);
    for (let c = 0; c < k; c++) {
      const offset = c * dims;
      let dot = 0;
      for (let p = 0; p < val.length; p++) dot += val[p]! * sums[offset + (idx ? idx[p]! : p)]!;
      dots[c] = dot;
    }
    const own = labels[i]!;
    const ownSize = sizes[own]!;
    if (ownSize <= 1) continue; // s = 0
    // a: the other members only (the self term x·x = ‖x‖² is removed; its distance is 0).
    const a = Math.max(0, 1 - (dots[own]! - norm2) / (ownSize - 1));
    let b = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      if (c === own || sizes[c] === 0) continue;
      b = Math.min(b, Math.max(0, 1 - dots[c]! / sizes[c]!));
    }
    const denominator = Math.max(a, b);
    total += denominator > 0 ? (b - a) / denominator : 0;
  }
  return total / n;
}

/**
 * The K the silhouette criterion picks. With `tolerance` 0 (the argmax): the K ≥ 2 with the largest
 * silhouette (ties: the smaller K). With `tolerance` τ in (0, 1): the smallest K whose silhouette is
 * at least `(1 − τ) × max`, a parsimony rule in the spirit of the gap statistic's one-standard-error
 * rule (Tibshirani, Walther & Hastie 2001): past the true number of components the silhouette
 * curve of TF-IDF k-means is a plateau whose maximum is noise, and the rule takes the plateau's
 * start instead of over-splitting. `ks[0]` when no score is defined.
 */
export function silhouetteChoice(
  ks: readonly number[],
  scores: readonly (number | null)[],
  tolerance = 0,
): number {
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw new Error(`silhouette tolerance is ${tolerance}: expected a number in [0, 1)`);
  }
  let best: number | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  ks.forEach((k, i) => {
    const score = scores[i];
    if (score === null || score === undefined || Number.isNaN(score)) return;
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  });
  if (best === undefined) return ks[0]!;
  if (tolerance === 0) return best;
  // (1 − τ) × max for a positive maximum; for a negative one, max − τ·|max| (the same slack).
  const threshold = bestScore - tolerance * Math.abs(bestScore);
  for (let i = 0; i < ks.length; i++) {
    const score = scores[i];
    if (score === null || score === undefined || Number.isNaN(score)) continue;
    if (score >= threshold) return ks[i]!;
  }
  return best;
}
