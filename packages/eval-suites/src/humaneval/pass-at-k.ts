/**
 * The unbiased pass@k estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
 * Code"): `1 - C(n-c, k) / C(n, k)` for `n` samples of which `c` are correct, computed stably as
 * `1 - prod_{i=n-c+1}^{n} (1 - k/i)`.
 */
export function passAtK(n: number, c: number, k: number): number {
  for (const [name, value] of [
    ['n', n],
    ['c', c],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`pass@k: ${name} must be a non-negative integer, got ${value}`);
  }
  if (c > n) throw new Error(`pass@k: c (${c}) cannot exceed n (${n})`);
  if (k < 1 || k > n) throw new Error(`pass@k: k must be in 1..n (n = ${n}), got ${k}`);
  if (n - c < k) return 1;
  let product = 1;
  for (let i = n - c + 1; i <= n; i++) product *= 1 - k / i;
  return 1 - product;
}

/**
 * Mean pass@k over problems for each `k` that every problem allows (`n >= k` for all), as OpenAI's
 * harness reports it. `counts` holds `{n, c}` per problem.
 */
export function meanPassAtK(
  counts: readonly { n: number; c: number }[],
  ks: readonly number[] = [1, 10, 100],
): Record<string, number> {
  const out: Record<string, number> = {};
  if (counts.length === 0) return out;
  for (const k of ks) {
    if (!counts.every((p) => p.n >= k)) continue;
    out[`pass@${k}`] = counts.reduce((sum, p) => sum + passAtK(p.n, p.c, k), 0) / counts.length;
  }
  return out;
}
