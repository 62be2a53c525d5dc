import { createRng } from '@hydralora/common';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { CsrMatrix } from './csr.js';

/**
 * Randomised truncated SVD of a sparse matrix (Halko, Martinsson & Tropp 2011, algorithms 4.4
 * + 5.1 — what scikit-learn's `TruncatedSVD(algorithm='randomized')` runs), i.e. LSA when the
 * input is TF-IDF. Dense blocks are `Float64Array`s in column-major order (`n × l`, column j at
 * `j * n`); the only small dense factorisation (`l × l`) goes to ml-matrix.
 */
export interface SvdOptions {
  /** Number of components kept. */
  components: number;
  /** Extra random directions for accuracy (sklearn's default 10). */
  oversamples?: number;
  /** Power iterations (sklearn `TruncatedSVD` default 5). */
  powerIterations?: number;
  seed: number;
}

/** `x ≈ U Σ Vᵀ`, top `components` singular triplets. */
export interface SvdResult {
  /** Singular values, descending. */
  singularValues: Float64Array;
  /** `Vᵀ`, `components × cols` row-major: each row a direction in term space. */
  components: Float64Array;
  /** `x V` (≈ `U Σ`), `rows × components` row-major: the projected rows. */
  projected: Float64Array;
}

/** `x · m` for column-major dense `m` (`x.cols × l`) → column-major `x.rows × l`. */
function multiply(x: CsrMatrix, m: Float64Array, l: number): Float64Array {
  const out = new Float64Array(x.rows * l);
  for (let i = 0; i < x.rows; i++) {
    for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) {
      const col = x.indices[p]!;
      const v = x.data[p]!;
      for (let j = 0; j < l; j++) out[j * x.rows + i]! += v * m[j * x.cols + col]!;
    }
  }
  return out;
}

/** `xᵀ · m` for column-major dense `m` (`x.rows × l`) → column-major `x.cols × l`. */
function multiplyTransposed(x: CsrMatrix, m: Float64Array, l: number): Float64Array {
  const out = new Float64Array(x.cols * l);
  for (let i = 0; i < x.rows; i++) {
    for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) {
      const col = x.indices[p]!;
      const v = x.data[p]!;
      for (let j = 0; j < l; j++) out[j * x.cols + col]! += v * m[j * x.rows + i]!;
    }
  }
  return out;
}

/** Orthonormalises the `l` columns of column-major `m` (`n × l`) in place: Gram–Schmidt, twice. */
function orthonormalize(m: Float64Array, n: number, l: number): void {
  for (let j = 0; j < l; j++) {
    const cj = j * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let q = 0; q < j; q++) {
        const cq = q * n;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += m[cq + i]! * m[cj + i]!;
        for (let i = 0; i < n; i++) m[cj + i]! -= dot * m[cq + i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += m[cj + i]! * m[cj + i]!;
    norm = Math.sqrt(norm);
    // A column in the span of the previous ones (rank-deficient input) is zeroed.
    const scale = norm > 1e-12 ? 1 / norm : 0;
    for (let i = 0; i < n; i++) m[cj + i] = m[cj + i]! * scale;
  }
}

/** Randomised truncated SVD of `x`. */
export function truncatedSvd(x: CsrMatrix, options: SvdOptions): SvdResult {
  const k = options.components;
  if (!Number.isInteger(k) || k < 1 || k >= Math.min(x.rows, x.cols)) {
    throw new Error(`svd components ${k}: expected an integer in [1, ${Math.min(x.rows, x.cols) - 1}]`);
  }
  const l = Math.min(k + (options.oversamples ?? 10), Math.min(x.rows, x.cols));
  const random = createRng(options.seed);
  const omega = new Float64Array(x.cols * l);
  for (let i = 0; i < omega.length; i++) omega[i] = random.normal();
  let q = multiply(x, omega, l);
  orthonormalize(q, x.rows, l);
  for (let it = 0; it < (options.powerIterations ?? 5); it++) {
    const z = multiplyTransposed(x, q, l);
    orthonormalize(z, x.cols, l);
    q = multiply(x, z, l);
    orthonormalize(q, x.rows, l);
  }
  // B = Qᵀ x (l × cols); Bᵀ = xᵀ Q is what we can form sparsely (column-major cols × l).
  const bt = multiplyTransposed(x, q, l);
  const gram = new Matrix(l, l);
  for (let a = 0; a < l; a++) {
    for (let b = a; b < l; b++) {
      let s = 0;
      for (let i = 0; i < x.cols; i++) s += bt[a * x.cols + i]! * bt[b * x.cols + i]!;
      gram.set(a, b, s);
      gram.set(b, a, s);
    }
  }
  // B Bᵀ = W Σ² Wᵀ; then V = Bᵀ W Σ⁻¹.
  const eig = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const singularValues = new Float64Array(k);
  const components = new Float64Array(k * x.cols);
  for (let c = 0; c < k; c++) {
    const e = order[c]!;
    const sigma = Math.sqrt(Math.max(0, values[e]!));
    singularValues[c] = sigma;
    const inv = sigma > 1e-12 ? 1 / sigma : 0;
    for (let a = 0; a < l; a++) {
      const w = vectors.get(a, e);
      if (w === 0) continue;
      for (let i = 0; i < x.cols; i++) components[c * x.cols + i]! += bt[a * x.cols + i]! * w * inv;
    }
  }
  // Fix the sign ambiguity deterministically: the largest-magnitude term weight is positive.
  for (let c = 0; c < k; c++) {
    let arg = 0;
    for (let i = 1; i < x.cols; i++) {
      if (Math.abs(components[c * x.cols + i]!) > Math.abs(components[c * x.cols + arg]!)) arg = i;
    }
    if (components[c * x.cols + arg]! < 0) {
      for (let i = 0; i < x.cols; i++) components[c * x.cols + i] = -components[c * x.cols + i]!;
    }
  }
  // x Vᵀᵀ rather than Q W Σ: the same up to the range approximation, and exactly what
  // `projectRows` gives new documents, so fitting and assigning share one feature space.
  return { singularValues, components, projected: projectRows(x, components, k) };
}

/** Projects sparse rows onto the components (`x Vᵀᵀ`), row-major `rows × k`. */
export function projectRows(x: CsrMatrix, components: Float64Array, k: number): Float64Array {
  const out = new Float64Array(x.rows * k);
  for (let i = 0; i < x.rows; i++) {
    for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) {
      const col = x.indices[p]!;
      const v = x.data[p]!;
      for (let c = 0; c < k; c++) out[i * k + c]! += v * components[c * x.cols + col]!;
    }
  }
  return out;
}
