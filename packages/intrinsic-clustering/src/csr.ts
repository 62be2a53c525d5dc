/**
 * Compressed sparse row matrix, the layout of scipy's `csr_matrix`: row `i`'s non-zeros are
 * `data[indptr[i] .. indptr[i+1])` at columns `indices[...]` (sorted ascending within a row).
 */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
}

/** Dense copy of a CSR matrix as an array of rows (for tests and small matrices only). */
export function csrToDense(matrix: CsrMatrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < matrix.rows; i++) {
    const row = new Array<number>(matrix.cols).fill(0);
    for (let p = matrix.indptr[i]!; p < matrix.indptr[i + 1]!; p++) row[matrix.indices[p]!] = matrix.data[p]!;
    out.push(row);
  }
  return out;
}

/** Scales every non-zero row of `matrix` to unit Euclidean norm, in place. */
export function normalizeRowsL2(matrix: CsrMatrix): void {
  const { indptr, data } = matrix;
  for (let i = 0; i < matrix.rows; i++) {
    let sum = 0;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) sum += data[p]! * data[p]!;
    if (sum === 0) continue;
    const scale = 1 / Math.sqrt(sum);
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) data[p] = data[p]! * scale;
  }
}
