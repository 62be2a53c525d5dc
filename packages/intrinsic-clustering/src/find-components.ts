import { type ClusterConfigInput, parseClusterConfig } from './config.js';
import { denseKMeans } from './dense-kmeans.js';
import { type Elbow, kneedle } from './elbow.js';
import { ClusterModel, normalizeDenseRows } from './model.js';
import { type KMeansFit, sparseKMeans } from './sparse-kmeans.js';
import { truncatedSvd } from './svd.js';
import { TfidfVectorizer } from './tfidf.js';

/** A progress event: `stage` runs `done` of `total` steps (K values for `'kmeans'`). */
export interface ProgressEvent {
  stage: 'features' | 'svd' | 'kmeans';
  done: number;
  total: number;
}

/** What {@link findComponents} returns. */
export interface ClusterResult {
  /** The chosen K (the elbow's, or the forced one). */
  k: number;
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
  let cluster: (k: number) => KMeansFit;
  const kmeansOptions = {
    seed: options.seed,
    restarts: options.restarts,
    maxIterations: options.maxIterations,
  };
  if (options.reduction === 'svd') {
    const dims = Math.min(options.svdComponents, Math.min(matrix.rows, matrix.cols) - 1);
    if (dims < 1) throw new Error(`reduction 'svd' needs at least 2 documents and 2 terms`);
    onProgress?.({ stage: 'svd', done: 0, total: 1 });
    const svd = truncatedSvd(matrix, { components: dims, seed: options.seed });
    onProgress?.({ stage: 'svd', done: 1, total: 1 });
    components = svd.components;
    normalizeDenseRows(svd.projected, dims);
    cluster = (k) => denseKMeans(svd.projected, dims, k, kmeansOptions);
  } else {
    cluster = (k) => sparseKMeans(matrix, k, kmeansOptions);
  }

  const ks: number[] = [];
  const fits: KMeansFit[] = [];
  onProgress?.({ stage: 'kmeans', done: 0, total: options.kMax });
  for (let k = 1; k <= options.kMax; k++) {
    ks.push(k);
    fits.push(cluster(k));
    onProgress?.({ stage: 'kmeans', done: k, total: options.kMax });
  }
  const sse = fits.map((fit) => fit.sse);
  const elbow = kneedle(ks, sse, options.sensitivity);
  const k = options.k ?? elbow.k;
  const chosen = fits[k - 1] ?? cluster(k);
  const model = new ClusterModel(vectorizer, components, chosen.centroids);
  const sizes = new Array<number>(k).fill(0);
  for (const label of chosen.labels) sizes[label]! += 1;
  return {
    warnings: degenerateClustering(texts, k, sizes),
    k,
    ks,
    sse,
    elbow: { ...elbow, forced: options.k !== undefined },
    labels: Array.from(chosen.labels),
    sizes,
    topTerms: model.topTerms(options.topTerms),
    features: { vocabulary: vectorizer.vocabulary.length, reduction: options.reduction, dims: model.dims },
    model,
  };
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
