/**
 * External clustering scores against known labels, with scikit-learn's definitions:
 * `normalized_mutual_info_score` (arithmetic-mean normalisation, natural log) and
 * `adjusted_rand_score` (Hubert & Arabie 1985).
 */

function contingency(truth: readonly number[], predicted: readonly number[]) {
  if (truth.length !== predicted.length) {
    throw new Error(`label arrays differ in length: ${truth.length} vs ${predicted.length}`);
  }
  const table = new Map<string, number>();
  const rows = new Map<number, number>();
  const cols = new Map<number, number>();
  for (let i = 0; i < truth.length; i++) {
    const key = `${truth[i]}\u0000${predicted[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(truth[i]!, (rows.get(truth[i]!) ?? 0) + 1);
    cols.set(predicted[i]!, (cols.get(predicted[i]!) ?? 0) + 1);
  }
  return { cells: [...table.values()], rows: [...rows.values()], cols: [...cols.values()], n: truth.length };
}

function entropy(counts: readonly number[], n: number): number {
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / n) * Math.log(c / n);
  return h;
}

/** Normalised mutual information, `MI / mean(H(truth), H(predicted))`; 1 when both are one cluster. */
export function normalizedMutualInfo(truth: readonly number[], predicted: readonly number[]): number {
  const { rows, cols, n } = contingency(truth, predicted);
  if ((rows.length === 1 && cols.length === 1) || n === 0) return 1;
  const rowCount = new Map<number, number>();
  const colCount = new Map<number, number>();
  const joint = new Map<string, [number, number, number]>();
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    rowCount.set(t, (rowCount.get(t) ?? 0) + 1);
    colCount.set(p, (colCount.get(p) ?? 0) + 1);
    const key = `${t}\u0000${p}`;
    const cell = joint.get(key);
    if (cell) cell[0] += 1;
    else joint.set(key, [1, t, p]);
  }
  let mi = 0;
  for (const [count, t, p] of joint.values()) {
    mi += (count / n) * Math.log((count * n) / (rowCount.get(t)! * colCount.get(p)!));
  }
  if (mi <= 0) return 0;
  const normaliser = (entropy(rows, n) + entropy(cols, n)) / 2;
  return Math.min(1, mi / normaliser);
}

const pairs = (m: number) => (m * (m - 1)) / 2;

/** Adjusted Rand index: 1 for identical partitions, about 0 for independent ones. */
export function adjustedRandIndex(truth: readonly number[], predicted: readonly number[]): number {
  const { cells, rows, cols, n } = contingency(truth, predicted);
  const sumCells = cells.reduce((s, c) => s + pairs(c), 0);
  const sumRows = rows.reduce((s, c) => s + pairs(c), 0);
  const sumCols = cols.reduce((s, c) => s + pairs(c), 0);
  const expected = (sumRows * sumCols) / pairs(n);
  const maximum = (sumRows + sumCols) / 2;
  if (maximum === expected) return 1;
  return (sumCells - expected) / (maximum - expected);
}
