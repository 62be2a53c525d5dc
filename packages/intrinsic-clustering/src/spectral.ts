import { createRng } from '@hydralora/common';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { CsrMatrix } from './csr.js';
import { denseKMeans } from './dense-kmeans.js';
import { type FeatureRows, featureShape } from './silhouette.js';
import type { KMeansFit, KMeansOptions } from './sparse-kmeans.js';

/** How the edges of the kNN graph are weighted. */
export type KnnWeighting = 'cosine' | 'connectivity';

/**
 * The symmetrised cosine k-nearest-neighbour graph of the rows of `features` (scikit-learn's
 * `SpectralClustering(affinity='nearest_neighbors')` graph: `W = (A + Aᵀ) / 2` where row `i` of
 * `A` marks the `neighbors` rows most cosine-similar to row `i`, itself excluded). `'connectivity'`
 * weights each directed edge 1 (sklearn); `'cosine'` weights it by the cosine similarity. Only rows
 * with a positive similarity are neighbours (a row sharing no term with any other has no edges),
 * ties go to the lower row index. Returned as a symmetric CSR matrix, `n × n`, columns sorted.
 *
 * Cost: exact, via the inverted index of the columns: O(Σ_terms df²) multiply-adds for sparse rows
 * (O(n² · dims) for dense rows) and O(n) memory per row, never the `n × n` similarity matrix; this
 * is quadratic in the corpus, hence `spectralMaxDocuments` in the config.
 */
export function cosineKnnGraph(
  features: FeatureRows,
  neighbors: number,
  weighting: KnnWeighting = 'cosine',
): CsrMatrix {
  const { n } = featureShape(features);
  if (!Number.isInteger(neighbors) || neighbors < 1) {
    throw new Error(`neighbors ${neighbors}: expected a positive integer`);
  }
  const k = Math.min(neighbors, n - 1);
  if (k === 0)
    return {
      rows: n,
      cols: n,
      indptr: new Int32Array(n + 1),
      indices: new Int32Array(0),
      data: new Float64Array(0),
    };
  // Unit rows (a zero row stays zero), and for sparse rows the column postings.
  const scale = new Float64Array(n);
  let postings: { start: Int32Array; rows: Int32Array; values: Float64Array } | undefined;
  if ('indptr' in features) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = features.indptr[i]!; p < features.indptr[i + 1]!; p++) s += features.data[p]! ** 2;
      scale[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
    const start = new Int32Array(features.cols + 1);
    for (let p = 0; p < features.indptr[n]!; p++) start[features.indices[p]! + 1]! += 1;
    for (let c = 0; c < features.cols; c++) start[c + 1]! += start[c]!;
    const fill = Int32Array.from(start.subarray(0, features.cols));
    const rows = new Int32Array(features.indptr[n]!);
    const values = new Float64Array(features.indptr[n]!);
    for (let i = 0; i < n; i++) {
      for (let p = features.indptr[i]!; p < features.indptr[i + 1]!; p++) {
        const q = fill[features.indices[p]!]!++;
        rows[q] = i;
        values[q] = features.data[p]! * scale[i]!;
      }
    }
    postings = { start, rows, values };
  } else {
    const { rows, dims } = features;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = i * dims; j < (i + 1) * dims; j++) s += rows[j]! ** 2;
      scale[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
  }
  const similarity = new Float64Array(n);
  const topIndex = new Int32Array(k);
  const topValue = new Float64Array(k);
  const edgeRows: number[] = [];
  const edgeCols: number[] = [];
  const edgeWeights: number[] = [];
  for (let i = 0; i < n; i++) {
    similarity.fill(0);
    if ('indptr' in features) {
      const { start, rows, values } = postings!;
      for (let p = features.indptr[i]!; p < features.indptr[i + 1]!; p++) {
        const c = features.indices[p]!;
        const x = features.data[p]! * scale[i]!;
        for (let q = start[c]!; q < start[c + 1]!; q++) similarity[rows[q]!]! += x * values[q]!;
      }
    } else {
      const { rows, dims } = features;
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let d = 0; d < dims; d++) dot += rows[i * dims + d]! * rows[j * dims + d]!;
        similarity[j] = dot * scale[i]! * scale[j]!;
      }
    }
    // The k largest positive similarities (j ≠ i), kept sorted: descending value, ascending index.
    let size = 0;
    for (let j = 0; j < n; j++) {
      const v = similarity[j]!;
      if (j === i || !(v > 0)) continue;
      if (size === k && v <= topValue[k - 1]!) continue;
      let pos = size < k ? size++ : k - 1;
      while (pos > 0 && topValue[pos - 1]! < v) {
        topValue[pos] = topValue[pos - 1]!;
        topIndex[pos] = topIndex[pos - 1]!;
        pos--;
      }
      topValue[pos] = v;
      topIndex[pos] = j;
    }
    for (let t = 0; t < size; t++) {
      const w = weighting === 'cosine' ? topValue[t]! : 1;
      edgeRows.push(i, topIndex[t]!);
      edgeCols.push(topIndex[t]!, i);
      edgeWeights.push(w / 2, w / 2);
    }
  }
  // COO → CSR, summing duplicates (an edge in both directions gets (w_ij + w_ji) / 2).
  const order = edgeRows
    .map((_, e) => e)
    .sort((a, b) => edgeRows[a]! - edgeRows[b]! || edgeCols[a]! - edgeCols[b]!);
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const data: number[] = [];
  let last = -1;
  let lastCol = -1;
  for (const e of order) {
    const r = edgeRows[e]!;
    const c = edgeCols[e]!;
    if (r === last && c === lastCol) data[data.length - 1]! += edgeWeights[e]!;
    else {
      indices.push(c);
      data.push(edgeWeights[e]!);
      indptr[r + 1]! += 1;
      last = r;
      lastCol = c;
    }
  }
  for (let r = 0; r < n; r++) indptr[r + 1]! += indptr[r]!;
  return { rows: n, cols: n, indptr, indices: Int32Array.from(indices), data: Float64Array.from(data) };
}

/** The leading eigenpairs of a graph's normalised adjacency `D^-1/2 W D^-1/2`. */
export interface SpectralEmbedding {
  /** Eigenvalues, descending (the largest is 1 for every connected component with an edge). */
  values: Float64Array;
  /** Eigenvectors, row-major `n × dims`: row `i` is node `i`'s coordinates. */
  vectors: Float64Array;
  dims: number;
  /** Krylov basis size that met the tolerance (n: the exact eigen-decomposition). */
  basis: number;
}

/**
 * The `dims` largest eigenpairs of the normalised adjacency `M = D^-1/2 W D^-1/2` of the symmetric,
 * non-negative graph `W` (equivalently the smallest of the normalised Laplacian `I − M`), for
 * Ng–Jordan–Weiss spectral clustering. A node with no edge gets a zero row of `M`.
 *
 * Solver: randomised block Krylov (block size `dims + 4`, full re-orthogonalisation) on the
 * shifted operator `(I + M) / 2` (spectrum in [0, 1], so the largest-magnitude eigenvalues are
 * the largest ones), then Rayleigh–Ritz with ml-matrix's symmetric eigen-decomposition of the
 * projected matrix. The basis grows by blocks until every wanted Ritz pair has residual
 * `‖M y − λ y‖ ≤ tolerance` (default 1e-5; or the basis spans the space: exact). A block handles eigenvalues of
 * multiplicity up to the block size (e.g. several connected components at eigenvalue 1), which
 * single-vector Lanczos cannot. Cost O(nnz(W) · m + n · m²) for a basis of m vectors.
 */
export function spectralEmbedding(
  graph: CsrMatrix,
  dims: number,
  options: { seed?: number; tolerance?: number } = {},
): SpectralEmbedding {
  const n = graph.rows;
  if (graph.cols !== n)
    throw new Error(`spectral embedding: the graph is ${graph.rows} × ${graph.cols}, not square`);
  if (!Number.isInteger(dims) || dims < 1 || dims > n) {
    throw new Error(`spectral embedding: dims ${dims}: expected an integer in [1, ${n}]`);
  }
  const tolerance = options.tolerance ?? 1e-5;
  const inverseRoot = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let degree = 0;
    for (let p = graph.indptr[i]!; p < graph.indptr[i + 1]!; p++) {
      const w = graph.data[p]!;
      if (!(w >= 0)) throw new Error(`spectral embedding: edge weight ${w} at row ${i}: expected >= 0`);
      degree += w;
    }
    inverseRoot[i] = degree > 0 ? 1 / Math.sqrt(degree) : 0;
  }
  // y = (x + M x) / 2
  const apply = (x: Float64Array): Float64Array => {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let p = graph.indptr[i]!; p < graph.indptr[i + 1]!; p++) {
        const j = graph.indices[p]!;
        s += graph.data[p]! * inverseRoot[j]! * x[j]!;
      }
      y[i] = 0.5 * (x[i]! + inverseRoot[i]! * s);
    }
    return y;
  };
  const block = Math.min(n, dims + 4);
  const basis: Float64Array[] = [];
  const images: Float64Array[] = [];
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
    return s;
  };
  /** Orthogonalises `v` against the basis (twice, classical Gram–Schmidt) and appends it unless it vanishes. */
  const append = (v: Float64Array): boolean => {
    const before = Math.sqrt(dot(v, v));
    if (before === 0) return false;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, v);
        for (let i = 0; i < n; i++) v[i] = v[i]! - c * q[i]!;
      }
    }
    const after = Math.sqrt(dot(v, v));
    if (after <= 1e-10 * before) return false;
    for (let i = 0; i < n; i++) v[i] = v[i]! / after;
    basis.push(v);
    images.push(apply(v));
    return true;
  };
  const random = createRng(options.seed ?? 0);
  for (let b = 0; b < block; b++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = random.normal();
    append(v);
  }
  let frontier = 0; // the first basis vector of the newest block
  const gram: number[][] = []; // gram[b][a] = basis[a] · A basis[b], a <= b (A is symmetric)
  let checkAt = Math.min(n, 4 * block);
  for (;;) {
    // Grow the basis by blocks up to the next check (×1.5 each time), then check the Ritz pairs.
    let grew = false;
    while (basis.length < checkAt) {
      const end = basis.length;
      for (let q = frontier; q < end && basis.length < n; q++)
        grew = append(Float64Array.from(images[q]!)) || grew;
      frontier = end;
      if (basis.length === end) break; // the Krylov space is invariant
    }
    checkAt = Math.min(n, Math.ceil(basis.length * 1.5));
    const m = basis.length;
    for (let b = gram.length; b < m; b++) {
      const row: number[] = [];
      for (let a = 0; a <= b; a++) row.push(dot(basis[a]!, images[b]!));
      gram.push(row);
    }
    const h = new Matrix(m, m);
    for (let b = 0; b < m; b++) {
      for (let a = 0; a <= b; a++) {
        h.set(a, b, gram[b]![a]!);
        h.set(b, a, gram[b]![a]!);
      }
    }
    const evd = new EigenvalueDecomposition(h, { assumeSymmetric: true });
    const theta = evd.realEigenvalues;
    const s = evd.eigenvectorMatrix;
    const order = theta.map((_, i) => i).sort((x, y) => theta[y]! - theta[x]! || x - y);
    const want = Math.min(dims, m);
    const values = new Float64Array(dims);
    const vectors = new Float64Array(n * dims);
    let worst = 0;
    const y = new Float64Array(n);
    const ay = new Float64Array(n);
    for (let c = 0; c < want; c++) {
      const e = order[c]!;
      y.fill(0);
      ay.fill(0);
      for (let a = 0; a < m; a++) {
        const w = s.get(a, e);
        const q = basis[a]!;
        const aq = images[a]!;
        for (let i = 0; i < n; i++) {
          y[i]! += w * q[i]!;
          ay[i]! += w * aq[i]!;
        }
      }
      const t = theta[e]!;
      let r = 0;
      for (let i = 0; i < n; i++) {
        r += (ay[i]! - t * y[i]!) ** 2;
        vectors[i * dims + c] = y[i]!;
      }
      // residual of M = 2·A − I is twice that of A
      worst = Math.max(worst, 2 * Math.sqrt(r));
      values[c] = 2 * t - 1;
    }
    if (want === dims && (worst <= tolerance || !grew || m >= n)) return { values, vectors, dims, basis: m };
    if (!grew || m >= n) {
      throw new Error(`spectral embedding: only ${m} independent directions for ${dims} eigenvectors`);
    }
  }
}

/**
 * Ng–Jordan–Weiss spectral clustering at `k` on a precomputed embedding: the first `k`
 * eigenvector coordinates of each node, scaled to unit length (a zero row stays zero), clustered
 * by k-means (ml-kmeans, k-means++, `options.restarts` starts, the lowest SSE in the embedding
 * wins). Returns the label of each node.
 */
export function spectralLabels(
  embedding: SpectralEmbedding,
  k: number,
  options: KMeansOptions,
): { labels: Int32Array; iterations: number } {
  const n = embedding.vectors.length / embedding.dims;
  if (!Number.isInteger(k) || k < 1 || k > embedding.dims) {
    throw new Error(
      `spectral clustering: k = ${k}: expected 1 <= k <= ${embedding.dims} (the embedding dims)`,
    );
  }
  if (k === 1) return { labels: new Int32Array(n), iterations: 0 };
  const rows = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += embedding.vectors[i * embedding.dims + c]! ** 2;
    const scale = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < k; c++) rows[i * k + c] = embedding.vectors[i * embedding.dims + c]! * scale;
  }
  const fit = denseKMeans(rows, k, k, options);
  return { labels: fit.labels, iterations: fit.iterations };
}

/**
 * {@link spectralLabels} as a k-means fit: the returned `centroids` and `sse` are those of the
 * clusters in `features` (the mean row of each cluster; SSE = Σ‖x − centroid‖²), so the elbow, the
 * silhouette and the model live in the same feature space as for k-means.
 */
export function spectralFit(
  embedding: SpectralEmbedding,
  features: FeatureRows,
  k: number,
  options: KMeansOptions,
): KMeansFit {
  const { labels, iterations } = spectralLabels(embedding, k, options);
  return clusterMeans(features, labels, k, iterations);
}

/** The distinct rows of `features` (first occurrences, in order) and each row's index among them. */
export function distinctRows(features: FeatureRows): {
  features: FeatureRows;
  of: Int32Array;
  count: number;
} {
  const { n } = featureShape(features);
  const index = new Map<string, number>();
  const of = new Int32Array(n);
  const firsts: number[] = [];
  for (let i = 0; i < n; i++) {
    const key =
      'indptr' in features
        ? `${features.indices.subarray(features.indptr[i]!, features.indptr[i + 1]!).join(',')}|${features.data.subarray(features.indptr[i]!, features.indptr[i + 1]!).join(',')}`
        : features.rows.subarray(i * features.dims, (i + 1) * features.dims).join(',');
    let d = index.get(key);
    if (d === undefined) {
      d = firsts.length;
      index.set(key, d);
      firsts.push(i);
    }
    of[i] = d;
  }
  if (firsts.length === n) return { features, of, count: n };
  if ('indptr' in features) {
    const indptr = new Int32Array(firsts.length + 1);
    firsts.forEach((i, d) => {
      indptr[d + 1] = indptr[d]! + features.indptr[i + 1]! - features.indptr[i]!;
    });
    const indices = new Int32Array(indptr[firsts.length]!);
    const data = new Float64Array(indptr[firsts.length]!);
    firsts.forEach((i, d) => {
      indices.set(features.indices.subarray(features.indptr[i]!, features.indptr[i + 1]!), indptr[d]!);
      data.set(features.data.subarray(features.indptr[i]!, features.indptr[i + 1]!), indptr[d]!);
    });
    return {
      features: { rows: firsts.length, cols: features.cols, indptr, indices, data },
      of,
      count: firsts.length,
    };
  }
  const rows = new Float64Array(firsts.length * features.dims);
  firsts.forEach((i, d) => {
    rows.set(features.rows.subarray(i * features.dims, (i + 1) * features.dims), d * features.dims);
  });
  return { features: { rows, dims: features.dims }, of, count: firsts.length };
}

/**
 * The spectral path of `findComponents`: the cosine kNN graph of the *distinct* rows of
 * `features` (identical documents are one node, so they always share a cluster, as in k-means),
 * its leading `dims` eigenvectors once, then for each K {@link spectralLabels} on the distinct
 * rows, spread back to every row, with centroids and SSE in `features`. With fewer distinct rows
 * than K, the clustering uses all of them and leaves the other clusters empty.
 */
export function spectralClusterer(
  features: FeatureRows,
  options: { neighbors: number; weighting: KnnWeighting; dims: number; seed: number },
): (k: number, o: KMeansOptions) => KMeansFit {
  const distinct = distinctRows(features);
  const graph = cosineKnnGraph(distinct.features, options.neighbors, options.weighting);
  const embedding = spectralEmbedding(graph, Math.min(options.dims, distinct.count), { seed: options.seed });
  return (k, o) => {
    const fit = spectralLabels(embedding, Math.min(k, embedding.dims), o);
    const labels = new Int32Array(distinct.of.length);
    for (let i = 0; i < labels.length; i++) labels[i] = fit.labels[distinct.of[i]!]!;
    return clusterMeans(features, labels, k, fit.iterations);
  };
}

/** Centroids (mean rows) and SSE of `labels` on `features`. */
export function clusterMeans(
  features: FeatureRows,
  labels: Int32Array,
  k: number,
  iterations = 0,
): KMeansFit {
  const { n, dims } = featureShape(features);
  const centroids = new Float64Array(k * dims);
  const sizes = new Float64Array(k);
  const forRow = (i: number, f: (column: number, value: number) => void) => {
    if ('indptr' in features) {
      for (let p = features.indptr[i]!; p < features.indptr[i + 1]!; p++)
        f(features.indices[p]!, features.data[p]!);
    } else for (let j = 0; j < dims; j++) f(j, features.rows[i * dims + j]!);
  };
  for (let i = 0; i < n; i++) {
    const offset = labels[i]! * dims;
    sizes[labels[i]!]! += 1;
    forRow(i, (j, v) => {
      centroids[offset + j]! += v;
    });
  }
  for (let c = 0; c < k; c++) {
    if (sizes[c]! > 0)
      for (let j = c * dims; j < (c + 1) * dims; j++) centroids[j] = centroids[j]! / sizes[c]!;
  }
  // SSE = Σ ‖x‖² − 2 x·c + ‖c‖²
  const centroidNorms = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    for (let j = c * dims; j < (c + 1) * dims; j++) centroidNorms[c]! += centroids[j]! ** 2;
  }
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const offset = labels[i]! * dims;
    let norm = 0;
    let cross = 0;
    forRow(i, (j, v) => {
      norm += v * v;
      cross += v * centroids[offset + j]!;
    });
    sse += Math.max(0, norm - 2 * cross + centroidNorms[labels[i]!]!);
  }
  return { k, labels, centroids, sse, iterations };
}
