import { parseWithSchema } from '@hydralora/common';
import { z } from 'zod';

/** TF-IDF settings (see `TfidfOptions`); defaults are scikit-learn's `TfidfVectorizer` defaults. */
export const tfidfConfigSchema = z.strictObject({
  /** Lower-case text before tokenising. */
  lowercase: z.boolean().default(true),
  /** `'english'` (this package's list) or your own list; unset: keep every token. */
  stopWords: z.union([z.literal('english'), z.array(z.string())]).optional(),
  /** `[min_n, max_n]` word n-grams. */
  ngramRange: z.tuple([z.number().int().min(1), z.number().int().min(1)]).default([1, 1]),
  /** Minimum document frequency: integer count, or proportion in (0, 1). */
  minDf: z.number().min(0).optional(),
  /** Maximum document frequency: integer count, or proportion in (0, 1). */
  maxDf: z.number().min(0).optional(),
  /** Keep the most frequent terms only. */
  maxFeatures: z.number().int().min(1).optional(),
  /** `1 + ln(tf)` instead of raw counts. */
  sublinearTf: z.boolean().default(false),
});

/**
 * The TF-IDF settings of the clustering: sklearn's, except `minDf: 2` and `sublinearTf: true`
 * (terms seen in one document only are noise for clustering; `1 + ln(tf)` damps repeated words).
 * Measured in `bench/n-selection.mjs` (README): with the silhouette criterion they lift NMI on the
 * proof corpus from 0.70 to 0.88. Pass `minDf: 1, sublinearTf: false` for plain sklearn features.
 */
export const clusterTfidfConfigSchema = tfidfConfigSchema.extend({
  minDf: z.number().min(0).default(2),
  sublinearTf: z.boolean().default(true),
});

/** k-means++ starts per K when `restarts` is unset, by algorithm (see `restarts`). */
export const DEFAULT_RESTARTS = { kmeans: 3, spectral: 10 } as const;

/** Everything {@link findComponents} can be told; every field is optional. */
export const clusterConfigSchema = z.strictObject({
  /** Feature settings (defaults: {@link clusterTfidfConfigSchema}). */
  tfidf: clusterTfidfConfigSchema.default(clusterTfidfConfigSchema.parse({})),
  /**
   * Feature space for k-means: `'sparse'` clusters the l2-normalised TF-IDF rows directly;
   * `'svd'` first projects them on `svdComponents` LSA directions (randomised truncated SVD) and
   * re-normalises. Measured in `bench/n-selection.mjs` (README, "N selection") with the default
   * TF-IDF settings and the silhouette: held-out mean NMI 0.864 / 0.694 / 0.630 (sparse) vs
   * 0.828 / 0.738 / 0.585 (svd) on mixes A / B / C; `'svd'` costs ~10× the CPU, its model stores
   * `svdComponents × vocabulary` weights, and its dense k-means is not measured at 100k documents.
   * Default `'sparse'`.
   */
  reduction: z.enum(['sparse', 'svd']).default('sparse'),
  /**
   * How the documents are grouped at each K: `'kmeans'`, k-means on the feature rows (the paper's
   * procedure); `'spectral'`, Ng–Jordan–Weiss spectral clustering: the symmetrised cosine kNN
   * graph of the feature rows (`spectralNeighbors`, `spectralWeighting`), the leading eigenvectors
   * of its normalised adjacency (block Krylov, see `spectralEmbedding`), row-normalised, then
   * k-means on them; the SSE, silhouette, centroids and model stay in the feature space. The kNN
   * graph is exact and quadratic in the corpus. `'auto'`: `'spectral'` up to
   * `spectralMaxDocuments` documents, `'kmeans'` above. Default `'kmeans'`. Measured in
   * `bench/n-selection.mjs` (README): spectral (kNN 15, 10 restarts, silhouette) is the best on the
   * selection runs (mean NMI 0.895 against k-means' 0.809) but not on the held-out mixes (A 0.815,
   * B 0.740, C 0.579 against 0.864, 0.694, 0.630), and neither reaches 0.78 on every held-out mix;
   * the default stays k-means, whose K the recorded demo and repro runs used.
   */
  algorithm: z.enum(['auto', 'kmeans', 'spectral']).default('kmeans'),
  /** Neighbours per document in the spectral kNN graph (default 15: the best of 7, 10, 12, 15, 20 on the bench's selection runs). */
  spectralNeighbors: z.number().int().min(1).default(15),
  /** Spectral kNN edge weights: `'cosine'` (the similarity) or `'connectivity'` (1, as sklearn). */
  spectralWeighting: z.enum(['cosine', 'connectivity']).default('cosine'),
  /** With `algorithm: 'auto'`: the largest corpus clustered spectrally (above it, k-means). */
  spectralMaxDocuments: z.number().int().min(1).default(5000),
  /** LSA dimensions when `reduction` is `'svd'`. */
  svdComponents: z.number().int().min(1).default(100),
  /** Largest K on the elbow curve (K = 1..kMax). */
  kMax: z.number().int().min(1).default(10),
  /** Force this K instead of the elbow's choice (the curve is still computed). */
  k: z.number().int().min(1).optional(),
  /** Seed of every random choice. */
  seed: z.number().int().default(0),
  /**
   * k-means++ starts per K; the lowest SSE wins (or see `restartSelection`). Unset: 3 for
   * `'kmeans'` (and for `findComponentsInEmbeddings`), 10 for `'spectral'` (its k-means runs
   * in K dimensions, so a start is cheap; 10 was the best on the bench's selection runs, 0.895 vs
   * 0.883 with 3, a difference within the run-to-run spread of the spectral rows).
   */
  restarts: z.number().int().min(1).optional(),
  /**
   * Which of the `restarts` k-means solutions is kept at each K: `'sse'` (default), the lowest
   * SSE (the k-means objective, as scikit-learn's `n_init`); `'silhouette'`, the largest mean
   * cosine silhouette (one extra O(nnz · K) pass per start). Measured in `bench/n-selection.mjs`.
   */
  restartSelection: z.enum(['sse', 'silhouette']).default('sse'),
  /** Lloyd iterations per start. */
  maxIterations: z.number().int().min(1).default(100),
  /** Lloyd stops when an iteration improves the SSE by at most this fraction (see `KMeansOptions.tolerance`). */
  tolerance: z.number().min(0).default(1e-4),
  /**
   * How K is chosen from the K = 1..kMax fits: `'silhouette'` (default), the K ≥ 2 with the
   * largest mean cosine silhouette (exact, linear in the corpus; see `cosineSilhouette`);
   * `'elbow'`, the Kneedle elbow of the SSE curve (the paper's procedure). Measured in
   * `bench/n-selection.mjs`: on the proof corpus the silhouette picks K = 7 (the 7 components)
   * for 3 of 3 seeds where the elbow picks 5 or 6 (NMI 0.87 vs 0.75). The silhouette never
   * picks K = 1: use `'elbow'` (or `k`) when the corpus may have a single component.
   */
  criterion: z.enum(['elbow', 'silhouette']).default('silhouette'),
  /**
   * With the silhouette criterion: take the smallest K whose mean silhouette is at least
   * `(1 − silhouetteTolerance) × the largest` (a parsimony rule against over-splitting on the
   * silhouette's plateau). Default 0: the largest itself. Measured in `bench/n-selection.mjs`
   * (README): 0.03 (chosen on the selection runs) did not improve the held-out mixes.
   */
  silhouetteTolerance: z.number().min(0).lt(1).default(0),
  /** Kneedle's sensitivity S. */
  sensitivity: z.number().min(0).default(1),
  /** Terms listed per cluster. */
  topTerms: z.number().int().min(1).default(10),
});

/** The fields of {@link clusterConfigSchema} that apply to precomputed embedding vectors. */
export const embeddingClusterConfigSchema = clusterConfigSchema.pick({
  kMax: true,
  k: true,
  seed: true,
  restarts: true,
  maxIterations: true,
  criterion: true,
  sensitivity: true,
  silhouetteTolerance: true,
});

/** Input form of {@link embeddingClusterConfigSchema}. */
export type EmbeddingClusterConfigInput = z.input<typeof embeddingClusterConfigSchema>;

/** Validates an embedding clustering config; an invalid or unknown field throws naming it. */
export function parseEmbeddingClusterConfig(input: EmbeddingClusterConfigInput = {}) {
  return parseWithSchema(embeddingClusterConfigSchema, input, { what: 'embedding cluster config' });
}

/** Input form of the config (all fields optional). */
export type ClusterConfigInput = z.input<typeof clusterConfigSchema>;
/** Resolved config with defaults filled in. */
export type ClusterConfig = z.output<typeof clusterConfigSchema>;

/** Validates `input`; an invalid field throws an Error naming the field and the value. */
export function parseClusterConfig(input: ClusterConfigInput = {}): ClusterConfig {
  return parseWithSchema(clusterConfigSchema, input, { what: 'cluster config' });
}
