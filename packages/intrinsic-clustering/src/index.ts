/**
 * @packageDocumentation
 * Find a corpus's intrinsic components, the way HydraLoRA chooses its number of B heads:
 * TF-IDF features (scikit-learn conventions), k-means for K = 1..K_max, and the elbow of the
 * SSE curve (Kneedle). Sparse throughout; optional LSA (randomised truncated SVD).
 */
export type { ClusterConfig, ClusterConfigInput, EmbeddingClusterConfigInput } from './config.js';
export {
  clusterConfigSchema,
  clusterTfidfConfigSchema,
  embeddingClusterConfigSchema,
  parseClusterConfig,
  parseEmbeddingClusterConfig,
  tfidfConfigSchema,
} from './config.js';
export type { CorpusOptions } from './corpus.js';
export { DEFAULT_FIELDS, decodeUtf8, loadCorpus, parseCorpus } from './corpus.js';
export type { CsrMatrix } from './csr.js';
export { csrToDense } from './csr.js';
export type { Elbow } from './elbow.js';
export { kneedle } from './elbow.js';
export type { ClusterResult, EmbeddingClusterResult, ProgressEvent } from './find-components.js';
export { findComponents, findComponentsInEmbeddings } from './find-components.js';
export { adjustedRandIndex, normalizedMutualInfo } from './metrics.js';
export type { ClusterModelJson } from './model.js';
export { ClusterModel } from './model.js';
export { loadModel, saveModel } from './model-file.js';
export type { ClusterReport } from './report.js';
export { formatSummary, plotElbow, toReport } from './report.js';
export type { FeatureRows } from './silhouette.js';
export { cosineSilhouette, silhouetteChoice } from './silhouette.js';
export type { KMeansFit, KMeansOptions } from './sparse-kmeans.js';
export { sparseKMeans } from './sparse-kmeans.js';
export type { KnnWeighting, SpectralEmbedding } from './spectral.js';
export {
  clusterMeans,
  cosineKnnGraph,
  distinctRows,
  spectralClusterer,
  spectralEmbedding,
  spectralFit,
  spectralLabels,
} from './spectral.js';
export { ENGLISH_STOP_WORDS } from './stop-words.js';
export type { SvdOptions, SvdResult } from './svd.js';
export { truncatedSvd } from './svd.js';
export type { TfidfOptions, TfidfState } from './tfidf.js';
export { compareCodePoints, TfidfVectorizer } from './tfidf.js';
export type { Analyzer, TokenizerOptions } from './tokenize.js';
export { createAnalyzer, DEFAULT_TOKEN_PATTERN } from './tokenize.js';
