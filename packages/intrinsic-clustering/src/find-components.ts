import {
  type ClusterConfigInput,
  DEFAULT_RESTARTS,
  type EmbeddingClusterConfigInput,
  parseClusterConfig,
  parseEmbeddingClusterConfig,
} from './config.js';
import { denseKMeans } from './dense-kmeans.js';
import { type Elbow, kneedle } from './elbow.js';
import { ClusterModel, normalizeDenseRows } from './model.js';
import { cosineSilhouette, type FeatureRows, silhouetteChoice } from './silhouette.js';
import { type KMeansFit, type KMeansOptions, sparseKMeans } from './sparse-kmeans.js';
import { spectralClusterer } from './spectral.js';
import { truncatedSvd } from './svd.js';
import { TfidfVectorizer } from './tfidf.js';

/** A progress event: `stage` runs `done` of `total` steps (K values for `'kmeans'`). */
export interface ProgressEvent {
  stage: 'features' | 'svd' | 'graph' | 'kmeans';
  done: number;
  total: number;
}

/** What {@link findComponents} returns. */
export interface ClusterResult {
  /** The chosen K (by `criterion`, or the forced one). */
  k: number;
  /** The criterion that chose K (`'elbow'` or `'silhouette'`; still reported when K is forced). */
  criterion: 'elbow' | 'silhouette';
  /** Mean cosine silhouette of each fit in `ks` (`null` at K = 1, where it is not defined). */
  silhouette: (number | null)[];
  /** The K values of the curve, `1..kMax`. */
  ks: number[];
  /** SSE (k-means inertia) for each K in `ks`. */
  sse: number[];
  /** How K was found: the elbow details, and whether K was forced. */
  elbow: Elbow & { forced: boolean };
  /** Cluster of each document, in input order. */
  labels: number[];
  /** Documents per cluster. */
  sizes: number[];
  /** Highest-weighted terms of each centroid. */
  topTerms: string[][];
  /** Vocabulary size and the feature space used. */
  features: { vocabulary: number; reduction: 'sparse' | 'svd'; dims: number };
  /** The clustering algorithm that ran (`'auto'` resolved by the corpus size). */
  algorithm: 'kmeans' | 'spectral';
  /** The fitted model: `model.assign(texts)` labels new text; `model.toJSON()` stores it. */
  model: ClusterModel;
  /** Signs that the clustering is degenerate (empty clusters, fewer distinct documents than K). */
  warnings: string[];
}

/**
 * The paper's procedure for choosing the number of B heads: TF-IDF features, k-means for
 * K = 1..kMax, the elbow of the SSE curve; returns the clustering at the chosen K.
 */
export function findComponents(
  texts: readonly string[],
  config: ClusterConfigInput = {},
  onProgress?: (event: ProgressEvent) => void,
): ClusterResult {
  const options = parseClusterConfig(config);
  if (texts.length === 0) throw new Error('the corpus is empty: no documents to cluster');
  const largestK = Math.max(options.kMax, options.k ?? 1);
  if (texts.length < largestK) {
    throw new Error(
      `the corpus has ${texts.length} documents, fewer than K = ${largestK}: lower kMax / k or add documents`,
    );
  }
  onProgress?.({ stage: 'features', done: 0, total: 1 });
  const { vectorizer, matrix } = TfidfVectorizer.fitTransform(texts, options.tfidf);
  onProgress?.({ stage: 'features', done: 1, total: 1 });

  let components: Float64Array | undefined;
  let svdRows: FeatureRows | undefined;
  const algorithm =
    options.algorithm === 'auto'
      ? texts.length <= options.spectralMaxDocuments
        ? 'spectral'
        : 'kmeans'
      : options.algorithm;
  const kmeansOptions = {
    seed: options.seed,
    restarts: options.restarts ?? DEFAULT_RESTARTS[algorithm],
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
  };
  let fitOnce: (k: number, o: KMeansOptions) => KMeansFit;
  if (options.reduction === 'svd') {
    const dims = Math.min(options.svdComponents, Math.min(matrix.rows, matrix.cols) - 1);
    if (dims < 1) throw new Error(`reduction 'svd' needs at least 2 documents and 2 terms`);
    onProgress?.({ stage: 'svd', done: 0, total: 1 });
    const svd = truncatedSvd(matrix, { components: dims, seed: options.seed });
    onProgress?.({ stage: 'svd', done: 1, total: 1 });
    components = svd.components;
    normalizeDenseRows(svd.projected, dims);
    svdRows = { rows: svd.projected, dims };
    fitOnce = (k, o) => denseKMeans(svd.projected, dims, k, o);
  } else {
    fitOnce = (k, o) => sparseKMeans(matrix, k, o);
  }
  const features = svdRows ?? matrix;
  if (algorithm === 'spectral') {
    onProgress?.({ stage: 'graph', done: 0, total: 1 });
    fitOnce = spectralClusterer(features, {
      neighbors: options.spectralNeighbors,
      weighting: options.spectralWeighting,
      dims: largestK,
      seed: options.seed,
    });
    onProgress?.({ stage: 'graph', done: 1, total: 1 });
  }
  const cluster: (k: number) => KMeansFit =
    options.restartSelection === 'silhouette'
      ? (k) => bestBySilhouette(k, kmeansOptions, fitOnce, features)
      : (k) => fitOnce(k, kmeansOptions);

  const curve = fitCurve(options, cluster, features, onProgress);
  const { k, chosen } = curve;
  const model = new ClusterModel(vectorizer, components, chosen.centroids);
  const sizes = clusterSizes(chosen.labels, k);
  return {
    warnings: degenerateClustering(texts, k, sizes),
    ...curve.summary,
    labels: Array.from(chosen.labels),
    sizes,
    topTerms: model.topTerms(options.topTerms),
    features: { vocabulary: vectorizer.vocabulary.length, reduction: options.reduction, dims: model.dims },
    algorithm,
    model,
  };
}

/**
 * The restart with the largest cosine silhouette among `options.restarts` single k-means++ starts
 * (start `r` seeded `seed + r · 7919`, the seeds `sparseKMeans` / `denseKMeans` use for their own
 * restarts); at K = 1, or where no silhouette is defined, the lowest SSE. Ties: the earlier start.
 */
function bestBySilhouette(
  k: number,
  options: KMeansOptions,
  fitOnce: (k: number, o: KMeansOptions) => KMeansFit,
  features: FeatureRows,
): KMeansFit {
  let best: KMeansFit | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < options.restarts; r++) {
    const fit = fitOnce(k, { ...options, seed: options.seed + r * 7919, restarts: 1 });
    const silhouette = k < 2 ? Number.NaN : cosineSilhouette(features, fit.labels, k);
    // undefined silhouettes rank below every defined one, then by SSE
    const score = Number.isNaN(silhouette) ? Number.NEGATIVE_INFINITY : silhouette;
    if (
      !best ||
      score > bestScore ||
      (score === bestScore && score === Number.NEGATIVE_INFINITY && fit.sse < best.sse)
    ) {
      best = fit;
      bestScore = score;
    }
  }
  return best!;
}

/** Warnings for a clustering that cannot mean what K says: empty clusters, too few distinct texts. */
export function degenerateClustering(
  texts: readonly string[],
  k: number,
  sizes: readonly number[],
): string[] {
  const warnings: string[] = [];
  const distinct = new Set(texts).size;
  if (distinct < k) {
    warnings.push(
      `the corpus has ${distinct} distinct document(s) for K = ${k}: at most ${distinct} cluster(s) can differ`,
    );
  }
  const empty = sizes.flatMap((size, c) => (size === 0 ? [c] : []));
  if (empty.length > 0) {
    warnings.push(
      `K = ${k}: cluster(s) ${empty.join(', ')} are empty (sizes [${sizes.join(', ')}]); the documents do not separate into ${k} groups: use a smaller K`,
    );
  }
  return warnings;
}

interface CurveOptions {
  kMax: number;
  k?: number | undefined;
  criterion: 'elbow' | 'silhouette';
  sensitivity: number;
  silhouetteTolerance: number;
}

/** k-means for K = 1..kMax, the SSE and silhouette curves, and the K the criterion (or `k`) picks. */
function fitCurve(
  options: CurveOptions,
  cluster: (k: number) => KMeansFit,
  features: FeatureRows,
  onProgress?: (event: ProgressEvent) => void,
) {
  const ks: number[] = [];
  const fits: KMeansFit[] = [];
  onProgress?.({ stage: 'kmeans', done: 0, total: options.kMax });
  for (let k = 1; k <= options.kMax; k++) {
    ks.push(k);
    fits.push(cluster(k));
    onProgress?.({ stage: 'kmeans', done: k, total: options.kMax });
  }
  const sse = fits.map((fit) => fit.sse);
  const silhouette = fits.map((fit) => {
    const score = fit.k < 2 ? Number.NaN : cosineSilhouette(features, fit.labels, fit.k);
    return Number.isNaN(score) ? null : score;
  });
  const elbow = kneedle(ks, sse, options.sensitivity);
  const k =
    options.k ??
    (options.criterion === 'silhouette'
      ? silhouetteChoice(ks, silhouette, options.silhouetteTolerance)
      : elbow.k);
  const chosen = fits[k - 1] ?? cluster(k);
  return {
    k,
    chosen,
    summary: {
      k,
      criterion: options.criterion,
      ks,
      sse,
      silhouette,
      elbow: { ...elbow, forced: options.k !== undefined },
    },
  };
}

function clusterSizes(labels: ArrayLike<number>, k: number): number[] {
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) sizes[labels[i]!]! += 1;
  return sizes;
}

/** What {@link findComponentsInEmbeddings} returns: the curves and the clustering, no text model. */
export type EmbeddingClusterResult = Omit<ClusterResult, 'topTerms' | 'features' | 'model' | 'algorithm'> & {
  /** `k × dims` row-major centroids of the unit-normalised vectors. */
  centroids: Float64Array;
  /** Dimensions of the vectors. */
  dims: number;
};

/**
 * The same procedure on precomputed document vectors (e.g. mean-pooled hidden states of the base
 * model, see `@hydralora/trainer`'s `embedTexts`): rows are scaled to unit length (so k-means
 * works in the cosine geometry, as on TF-IDF), then k-means for K = 1..kMax and the criterion.
 */
export function findComponentsInEmbeddings(
  vectors: readonly ArrayLike<number>[],
  config: EmbeddingClusterConfigInput = {},
  onProgress?: (event: ProgressEvent) => void,
): EmbeddingClusterResult {
  const options = parseEmbeddingClusterConfig(config);
  const n = vectors.length;
  if (n === 0) throw new Error('the corpus is empty: no vectors to cluster');
  const dims = vectors[0]!.length;
  if (dims === 0) throw new Error('vectors[0] is empty: expected at least 1 dimension');
  const largestK = Math.max(options.kMax, options.k ?? 1);
  if (n < largestK) {
    throw new Error(`there are ${n} vectors, fewer than K = ${largestK}: lower kMax / k or add vectors`);
  }
  const rows = new Float64Array(n * dims);
  vectors.forEach((vector, i) => {
    if (vector.length !== dims) {
      throw new Error(`vectors[${i}] has ${vector.length} dimensions, expected ${dims} (as vectors[0])`);
    }
    for (let j = 0; j < dims; j++) {
      const v = vector[j]!;
      if (!Number.isFinite(v)) throw new Error(`vectors[${i}][${j}] is ${v}: expected a finite number`);
      rows[i * dims + j] = v;
    }
  });
  normalizeDenseRows(rows, dims);
  const kmeansOptions = {
    seed: options.seed,
    restarts: options.restarts ?? DEFAULT_RESTARTS.kmeans,
    maxIterations: options.maxIterations,
  };
  const cluster = (k: number) => denseKMeans(rows, dims, k, kmeansOptions);
  const curve = fitCurve(options, cluster, { rows, dims }, onProgress);
  const sizes = clusterSizes(curve.chosen.labels, curve.k);
  const warnings = sizes.some((size) => size === 0)
    ? [
        `K = ${curve.k}: cluster(s) ${sizes.flatMap((s, c) => (s === 0 ? [c] : [])).join(', ')} are empty (sizes [${sizes.join(', ')}]): use a smaller K`,
      ]
    : [];
  return {
    ...curve.summary,
    labels: Array.from(curve.chosen.labels),
    sizes,
    warnings,
    centroids: curve.chosen.centroids,
    dims,
  };
}
