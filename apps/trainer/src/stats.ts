/**
 * Summary statistics for results over seeds: the mean and a two-sided Student-t confidence
 * interval (the t quantile comes from @stdlib; n − 1 degrees of freedom, sample standard
 * deviation with Bessel's correction); and paired comparisons of two methods scored on the same
 * examples: the accuracy difference with a paired-bootstrap interval and McNemar's exact test.
 */
import { mulberry32 } from '@hydralora/common';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/** Mean of n values with the half-width of its confidence interval (null when n < 2). */
export interface MeanInterval {
  mean: number;
  /** t(1 − (1 − level)/2, n − 1) · s / √n; null for a single value (no interval). */
  halfWidth: number | null;
  n: number;
  values: number[];
}

/**
 * Mean ± the `level` (default 95%) t-interval half-width of `values`. Throws on an empty list or
 * a level outside (0, 1).
 */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  const n = values.length;
  if (n === 0) throw new Error('meanInterval: no values');
  if (!(level > 0 && level < 1)) throw new Error(`meanInterval: level = ${level}, expected 0 < level < 1`);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, halfWidth: null, n, values: [...values] };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const t = tQuantile(1 - (1 - level) / 2, n - 1);
  return { mean, halfWidth: (t * Math.sqrt(variance)) / Math.sqrt(n), n, values: [...values] };
}

/** `12.3 ± 4.5` in percent (or `12.3` with no interval). */
export function formatPercentInterval(m: MeanInterval, digits = 1): string {
  const p = (v: number) => (100 * v).toFixed(digits);
  return m.halfWidth === null ? p(m.mean) : `${p(m.mean)} ± ${p(m.halfWidth)}`;
}

/** Two methods scored right/wrong on the same examples (see {@link pairedComparison}). */
export interface PairedComparison {
  /** Paired examples. */
  n: number;
  /** accuracy(a) − accuracy(b). */
  difference: number;
  /** Percentile paired-bootstrap interval of the difference at `level`. */
  low: number;
  high: number;
  level: number;
  /** Examples only a got right, and only b. */
  onlyA: number;
  onlyB: number;
  /** McNemar's exact test (two-sided binomial test of onlyA against onlyA + onlyB at ½). */
  pValue: number;
  /** The interval excludes 0 and p < 1 − level: a difference the data can see. */
  real: boolean;
}

/**
 * Paired comparison of `a` and `b`, right (true) or wrong per example, aligned by index: the
 * difference in accuracy, its percentile bootstrap interval (resampling the examples with their
 * pairs, `resamples` times, seeded) and McNemar's exact p-value. Pairs are what make small
 * differences visible: the variance of a paired difference counts only the discordant examples.
 */
export function pairedComparison(
  a: readonly boolean[],
  b: readonly boolean[],
  options: { resamples?: number; seed?: number; level?: number } = {},
): PairedComparison {
  const n = a.length;
  if (n === 0 || b.length !== n) {
    throw new Error(`pairedComparison: ${n} and ${b.length} results; need the same non-zero number`);
  }
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1))
    throw new Error(`pairedComparison: level = ${level}, expected 0 < level < 1`);
  const resamples = options.resamples ?? 10_000;
  if (!(Number.isInteger(resamples) && resamples >= 100)) {
    throw new Error(`pairedComparison: resamples = ${resamples}, expected an integer ≥ 100`);
  }
  // per-example difference: +1 (only a), −1 (only b), 0 (both or neither)
  const d = new Int8Array(n);
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < n; i++) {
    d[i] = (a[i] ? 1 : 0) - (b[i] ? 1 : 0);
    if (d[i] === 1) onlyA++;
    else if (d[i] === -1) onlyB++;
  }
  const difference = (onlyA - onlyB) / n;
  const rand = mulberry32(options.seed ?? 0);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[Math.floor(rand() * n)]!;
    stats[r] = sum / n;
  }
  stats.sort();
  const q = (p: number) => stats[Math.min(resamples - 1, Math.max(0, Math.round(p * (resamples - 1))))]!;
  const low = q((1 - level) / 2);
  const high = q(1 - (1 - level) / 2);
  const pValue = mcnemarExact(onlyA, onlyB);
  return {
    n,
    difference,
    low,
    high,
    level,
    onlyA,
    onlyB,
    pValue,
    real: (low > 0 || high < 0) && pValue < 1 - level,
  };
}

/**
 * McNemar's exact test on the discordant counts b and c: under H₀ each discordant pair falls
 * either way with probability ½, so p = min(1, 2·P[X ≤ min(b, c)]) for X ~ Binomial(b + c, ½);
 * p = 1 with no discordant pairs.
 */
export function mcnemarExact(b: number, c: number): number {
  for (const [name, v] of [
    ['b', b],
    ['c', c],
  ] as const) {
    if (!(Number.isInteger(v) && v >= 0))
      throw new Error(`mcnemarExact: ${name} = ${v}, expected a count ≥ 0`);
  }
  const n = b + c;
  if (n === 0) return 1;
  return Math.min(1, 2 * binomialCdf(Math.min(b, c), n, 0.5));
}

/** A signed number with a true minus sign: `+1.2`, `−0.4`. */
export function formatSigned(v: number, digits = 1): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
}

/** `+1.2 [−0.4, +2.8], p = 0.14` in percentage points. */
export function formatPaired(p: PairedComparison, digits = 1): string {
  const pp = (v: number) => formatSigned(100 * v, digits);
  const pv = p.pValue < 0.001 ? '< 0.001' : `= ${p.pValue.toFixed(3)}`;
  return `${pp(p.difference)} [${pp(p.low)}, ${pp(p.high)}], p ${pv}`;
}
