import { parseWithSchema } from '@hydralora/common';
import { z } from 'zod';
import type { CsrMatrix } from './csr.js';
import { projectRows } from './svd.js';
import { type TfidfState, TfidfVectorizer } from './tfidf.js';

/** Scales each row of a row-major `rows × dims` block to unit length, in place (LSA practice). */
export function normalizeDenseRows(rows: Float64Array, dims: number): void {
  for (let i = 0; i < rows.length; i += dims) {
    let s = 0;
    for (let j = i; j < i + dims; j++) s += rows[j]! * rows[j]!;
    if (s === 0) continue;
    const scale = 1 / Math.sqrt(s);
    for (let j = i; j < i + dims; j++) rows[j] = rows[j]! * scale;
  }
}

const sparseVector = z.strictObject({
  indices: z.array(z.number().int().min(0)),
  values: z.array(z.number()),
});

const modelSchema = z.strictObject({
  format: z.literal('hydralora-intrinsic-clustering'),
  version: z.literal(1),
  vectorizer: z.custom<TfidfState>(
    (v) => typeof v === 'object' && v !== null && Array.isArray((v as TfidfState).vocabulary),
  ),
  /** `'svd'`: `components` rows of term weights (row-major `dims × vocabulary`). */
  reduction: z.union([
    z.strictObject({ kind: z.literal('sparse') }),
    z.strictObject({
      kind: z.literal('svd'),
      dims: z.number().int().min(1),
      components: z.array(z.number()),
    }),
  ]),
  /** One centroid per cluster, sparse (zeros dropped). */
  centroids: z.array(sparseVector).min(1),
});

/** The JSON form of a fitted {@link ClusterModel}. */
export type ClusterModelJson = z.infer<typeof modelSchema>;

/**
 * A fitted clustering: vocabulary + idf, the optional SVD projection, and the centroids. It
 * assigns new text to the nearest centroid in the same feature space the clustering used.
 */
export class ClusterModel {
  /** Number of clusters. */
  readonly k: number;
  /** Feature dimensions the centroids live in (vocabulary size, or SVD dims). */
  readonly dims: number;

  constructor(
    readonly vectorizer: TfidfVectorizer,
    /** `undefined` for the sparse path; `dims × vocabulary` row-major for SVD. */
    readonly components: Float64Array | undefined,
    /** `k × dims` row-major. */
    readonly centroids: Float64Array,
  ) {
    this.dims = components ? components.length / vectorizer.vocabulary.length : vectorizer.vocabulary.length;
    this.k = centroids.length / this.dims;
    if (!Number.isInteger(this.k) || !Number.isInteger(this.dims)) {
      throw new Error(`cluster model: centroid block of ${centroids.length} values is not k × ${this.dims}`);
    }
  }

  /** Feature rows for `matrix` in the centroids' space, row-major `rows × dims`, or the sparse rows. */
  features(matrix: CsrMatrix): CsrMatrix | Float64Array {
    if (!this.components) return matrix;
    const rows = projectRows(matrix, this.components, this.dims);
    normalizeDenseRows(rows, this.dims);
    return rows;
  }

  /** Nearest-centroid cluster of each text. A text with no known term goes to the closest-to-origin centroid. */
  assign(texts: readonly string[]): number[] {
    const features = this.features(this.vectorizer.transform(texts));
    const { k, dims, centroids } = this;
    const norms = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      for (let j = c * dims; j < (c + 1) * dims; j++) norms[c]! += centroids[j]! * centroids[j]!;
    }
    const labels: number[] = [];
    for (let i = 0; i < texts.length; i++) {
      let best = 0;
      let bestValue = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        let dot = 0;
        if (features instanceof Float64Array) {
          for (let j = 0; j < dims; j++) dot += features[i * dims + j]! * centroids[c * dims + j]!;
        } else {
          for (let p = features.indptr[i]!; p < features.indptr[i + 1]!; p++) {
            dot += features.data[p]! * centroids[c * dims + features.indices[p]!]!;
          }
        }
        const value = norms[c]! - 2 * dot;
        if (value < bestValue) {
          bestValue = value;
          best = c;
        }
      }
      labels.push(best);
    }
    return labels;
  }

  /** Centroid `c` expressed as term weights (through the SVD components when there are any). */
  termWeights(c: number): Float64Array {
    const vocabularySize = this.vectorizer.vocabulary.length;
    const centroid = this.centroids.subarray(c * this.dims, (c + 1) * this.dims);
    if (!this.components) return Float64Array.from(centroid);
    const weights = new Float64Array(vocabularySize);
    for (let j = 0; j < this.dims; j++) {
      const w = centroid[j]!;
      for (let t = 0; t < vocabularySize; t++) weights[t]! += w * this.components[j * vocabularySize + t]!;
    }
    return weights;
  }

  /** The `n` highest-weighted terms of each centroid. */
  topTerms(n: number): string[][] {
    const vocabulary = this.vectorizer.vocabulary;
    const out: string[][] = [];
    for (let c = 0; c < this.k; c++) {
      const weights = this.termWeights(c);
      const order = Array.from(weights.keys())
        .filter((t) => weights[t]! > 0)
        .sort((a, b) => weights[b]! - weights[a]! || a - b);
      out.push(order.slice(0, n).map((t) => vocabulary[t]!));
    }
    return out;
  }

  /** Plain JSON (vocabulary, idf, projection, sparse centroids), for storing next to an adapter. */
  toJSON(): ClusterModelJson {
    const centroids = [];
    for (let c = 0; c < this.k; c++) {
      const indices: number[] = [];
      const values: number[] = [];
      for (let j = 0; j < this.dims; j++) {
        const v = this.centroids[c * this.dims + j]!;
        if (v !== 0) {
          indices.push(j);
          values.push(v);
        }
      }
      centroids.push({ indices, values });
    }
    return {
      format: 'hydralora-intrinsic-clustering',
      version: 1,
      vectorizer: this.vectorizer.toJSON(),
      reduction: this.components
        ? { kind: 'svd', dims: this.dims, components: Array.from(this.components) }
        : { kind: 'sparse' },
      centroids,
    };
  }

  /** Rebuilds a model from {@link ClusterModel.toJSON}'s output; malformed data throws naming the field. */
  static fromJSON(json: unknown): ClusterModel {
    const {
      vectorizer: state,
      reduction,
      centroids,
    } = parseWithSchema(modelSchema, json, { what: 'cluster model' });
    const vectorizer = TfidfVectorizer.fromJSON(state);
    const dims = reduction.kind === 'svd' ? reduction.dims : state.vocabulary.length;
    const components = reduction.kind === 'svd' ? Float64Array.from(reduction.components) : undefined;
    if (components && components.length !== dims * state.vocabulary.length) {
      throw new Error(
        `cluster model: reduction.components: expected ${dims} × ${state.vocabulary.length} values`,
      );
    }
    const block = new Float64Array(centroids.length * dims);
    centroids.forEach(({ indices, values }, c) => {
      if (indices.length !== values.length)
        throw new Error(`cluster model: centroids.${c}: indices/values differ`);
      indices.forEach((j, p) => {
        if (j >= dims) throw new Error(`cluster model: centroids.${c}.indices: ${j} >= ${dims}`);
        block[c * dims + j] = values[p]!;
      });
    });
    return new ClusterModel(vectorizer, components, block);
  }
}
