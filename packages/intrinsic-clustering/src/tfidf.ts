import type { CsrMatrix } from './csr.js';
import { normalizeRowsL2 } from './csr.js';
import { type Analyzer, createAnalyzer, type TokenizerOptions } from './tokenize.js';

/**
 * TF-IDF settings, named after scikit-learn's `TfidfVectorizer` and with its defaults
 * (`smooth_idf=True`, `norm='l2'`, `use_idf=True`). Document-frequency bounds follow sklearn's
 * int/float rule, which JavaScript numbers cannot carry, so: an integer is a number of documents,
 * a non-integer in (0, 1) is a proportion of the corpus (sklearn's `max_df=1.0` is the default
 * "no bound": leave it unset).
 */
export interface TfidfOptions extends TokenizerOptions {
  /** Drop terms in fewer documents than this (count, or proportion in (0, 1)). Default 1. */
  minDf?: number;
  /** Drop terms in more documents than this (count, or proportion in (0, 1)). Default: no bound. */
  maxDf?: number;
  /** Keep only the `maxFeatures` terms most frequent in the corpus (ties: alphabetical, as sklearn's stable sort). */
  maxFeatures?: number;
  /** Use `1 + ln(tf)` instead of the raw count (sklearn `sublinear_tf`, default false). */
  sublinearTf?: boolean;
}

/** The fitted vectoriser state, plain data (what {@link TfidfVectorizer.toJSON} returns). */
export interface TfidfState {
  options: Omit<TfidfOptions, 'tokenPattern'> & { tokenPattern?: { source: string; flags: string } };
  /** Terms in column order, sorted by code point as sklearn's `get_feature_names_out()`. */
  vocabulary: string[];
  /** `ln((1 + n) / (1 + df)) + 1` per column. */
  idf: number[];
}

/** Compares strings by Unicode code point (Python's order), not by UTF-16 unit (JavaScript's). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800–0xDFFF) encodes a code point above 0xFFFF: it sorts after every BMP unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

function documentBound(value: number | undefined, name: string, documents: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (Number.isInteger(value) && value >= 0) return value;
  if (value > 0 && value < 1) return value * documents;
  throw new Error(`${name} ${value}: expected an integer count >= 0 or a proportion in (0, 1)`);
}

/** Term-frequency / inverse-document-frequency features, kept sparse (CSR). */
export class TfidfVectorizer {
  readonly vocabulary: readonly string[];
  readonly idf: Float64Array;
  private readonly analyzer: Analyzer;
  private readonly index: Map<string, number>;

  private constructor(
    readonly options: TfidfOptions,
    vocabulary: string[],
    idf: Float64Array,
  ) {
    this.analyzer = createAnalyzer(options);
    this.vocabulary = vocabulary;
    this.idf = idf;
    this.index = new Map(vocabulary.map((term, column) => [term, column]));
  }

  /** Learns vocabulary and idf from `texts` and returns their TF-IDF matrix (sklearn `fit_transform`). */
  static fitTransform(
    texts: readonly string[],
    options: TfidfOptions = {},
  ): {
    vectorizer: TfidfVectorizer;
    matrix: CsrMatrix;
  } {
    const analyzer = createAnalyzer(options);
    const ids = new Map<string, number>();
    const terms: string[] = [];
    const df: number[] = [];
    const tf: number[] = [];
    const docTerms: Int32Array[] = [];
    const docCounts: Int32Array[] = [];
    const local = new Map<number, number>();
    for (const text of texts) {
      local.clear();
      for (const term of analyzer(text)) {
        let id = ids.get(term);
        if (id === undefined) {
          id = terms.length;
          ids.set(term, id);
          terms.push(term);
          df.push(0);
          tf.push(0);
        }
        local.set(id, (local.get(id) ?? 0) + 1);
      }
      const row = new Int32Array(local.size);
      const counts = new Int32Array(local.size);
      let j = 0;
      for (const [id, count] of local) {
        row[j] = id;
        counts[j++] = count;
        df[id]! += 1;
        tf[id]! += count;
      }
      docTerms.push(row);
      docCounts.push(counts);
    }
    if (terms.length === 0) {
      throw new Error('empty vocabulary: the documents contain no tokens (or only stop words)');
    }
    const n = texts.length;
    const maxCount = documentBound(options.maxDf, 'maxDf', n, n);
    const minCount = documentBound(options.minDf, 'minDf', n, 1);
    if (maxCount < minCount)
      throw new Error(`maxDf (${maxCount} documents) is below minDf (${minCount} documents)`);
    let kept = terms.map((_, id) => id).sort((a, b) => compareCodePoints(terms[a]!, terms[b]!));
    kept = kept.filter((id) => df[id]! >= minCount && df[id]! <= maxCount);
    if (options.maxFeatures !== undefined) {
      if (!Number.isInteger(options.maxFeatures) || options.maxFeatures < 1) {
        throw new Error(`maxFeatures ${options.maxFeatures}: expected a positive integer`);
      }
      if (kept.length > options.maxFeatures) {
        // Array.prototype.sort is stable: ties keep alphabetical order.
        const top = new Set([...kept].sort((a, b) => tf[b]! - tf[a]!).slice(0, options.maxFeatures));
        kept = kept.filter((id) => top.has(id));
      }
    }
    if (kept.length === 0) throw new Error('after pruning, no terms remain: lower minDf or raise maxDf');
    const column = new Int32Array(terms.length).fill(-1);
    kept.forEach((id, c) => {
      column[id] = c;
    });
    const idf = new Float64Array(kept.length);
    kept.forEach((id, c) => {
      idf[c] = Math.log((1 + n) / (1 + df[id]!)) + 1;
    });
    const vectorizer = new TfidfVectorizer(
      options,
      kept.map((id) => terms[id]!),
      idf,
    );
    const matrix = vectorizer.buildMatrix(docTerms, docCounts, column);
    return { vectorizer, matrix };
  }

  /** TF-IDF rows for new texts with the fitted vocabulary and idf (unknown terms are ignored). */
  transform(texts: readonly string[]): CsrMatrix {
    const docTerms: Int32Array[] = [];
    const docCounts: Int32Array[] = [];
    const local = new Map<number, number>();
    for (const text of texts) {
      local.clear();
      for (const term of this.analyzer(text)) {
        const c = this.index.get(term);
        if (c !== undefined) local.set(c, (local.get(c) ?? 0) + 1);
      }
      docTerms.push(Int32Array.from(local.keys()));
      docCounts.push(Int32Array.from(local.values()));
    }
    return this.buildMatrix(docTerms, docCounts, undefined);
  }

  private buildMatrix(
    docTerms: Int32Array[],
    docCounts: Int32Array[],
    column: Int32Array | undefined,
  ): CsrMatrix {
    const rows = docTerms.length;
    const indptr = new Int32Array(rows + 1);
    for (let i = 0; i < rows; i++) {
      let nnz = 0;
      for (const id of docTerms[i]!) if (!column || column[id]! >= 0) nnz++;
      indptr[i + 1] = indptr[i]! + nnz;
    }
    const indices = new Int32Array(indptr[rows]!);
    const data = new Float64Array(indptr[rows]!);
    const sublinear = this.options.sublinearTf ?? false;
    for (let i = 0; i < rows; i++) {
      const ids = docTerms[i]!;
      const counts = docCounts[i]!;
      const entries: [number, number][] = [];
      for (let j = 0; j < ids.length; j++) {
        const c = column ? column[ids[j]!]! : ids[j]!;
        if (c >= 0) entries.push([c, counts[j]!]);
      }
      entries.sort((a, b) => a[0] - b[0]);
      let p = indptr[i]!;
      for (const [c, count] of entries) {
        indices[p] = c;
        data[p++] = (sublinear ? 1 + Math.log(count) : count) * this.idf[c]!;
      }
    }
    const matrix: CsrMatrix = { rows, cols: this.vocabulary.length, indptr, indices, data };
    normalizeRowsL2(matrix);
    return matrix;
  }

  /** Plain-data form, for JSON. */
  toJSON(): TfidfState {
    const { tokenPattern, ...rest } = this.options;
    return {
      options: tokenPattern
        ? { ...rest, tokenPattern: { source: tokenPattern.source, flags: tokenPattern.flags } }
        : rest,
      vocabulary: [...this.vocabulary],
      idf: Array.from(this.idf),
    };
  }

  /** Rebuilds a fitted vectoriser from {@link TfidfVectorizer.toJSON}'s output. */
  static fromJSON(state: TfidfState): TfidfVectorizer {
    if (state.vocabulary.length !== state.idf.length) {
      throw new Error(
        `vectorizer state: ${state.vocabulary.length} terms but ${state.idf.length} idf values`,
      );
    }
    const { tokenPattern, ...rest } = state.options;
    const options: TfidfOptions = tokenPattern
      ? { ...rest, tokenPattern: new RegExp(tokenPattern.source, tokenPattern.flags) }
      : rest;
    return new TfidfVectorizer(options, [...state.vocabulary], Float64Array.from(state.idf));
  }
}
