/**
 * Summary statistics for results over seeds: the mean and a two-sided Student-t confidence
 * interval (the t quantile comes from @stdlib; n − 1 degrees of freedom, sample standard
 * deviation with Bessel's correction).
 */
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
