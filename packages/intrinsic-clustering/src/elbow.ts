/**
 * The elbow of an SSE curve by Kneedle (Satopää, Albrecht, Irwin & Raghavan, 2011), offline.
 *
 * 1. Normalise: `x̂ = (K − K₁) / (K_max − K₁)`, `ŷ = (SSE − min) / (max − min)`. A decreasing,
 *    convex SSE curve then runs from (0, 1) to (1, 0).
 * 2. Difference curve: `d = (1 − ŷ) − x̂`, how far the curve lies below the chord (after flipping
 *    it to the concave increasing case the paper treats). The elbow is where the curve bends
 *    most, a local maximum of `d`.
 * 3. A local maximum at `i` is declared the knee when, before the next local maximum, `d` falls
 *    below the threshold `T = d_i − S · mean(Δx̂)`, with `Δx̂ = 1 / (m − 1)` for `m` points.
 *    The sensitivity `S` (default 1, the paper's choice for offline use) trades early detection
 *    (small S) for certainty (large S): a bend whose drop is shallower than `S` grid steps is
 *    not an elbow. The first declared knee wins.
 *
 * Fallbacks, reported in {@link Elbow.method}: `'flat'` when the curve has fewer than 3 points
 * or does not decrease (max − min ≤ 1e-12 · max): no structure, K = the first K; `'max-difference'`
 * when no local maximum passes the threshold: the K that maximises `d` (or the first K when
 * `d ≤ 1e-9` everywhere, i.e. a straight or concave curve).
 */
export interface Elbow {
  /** The chosen K. */
  k: number;
  /** How it was chosen (see the fallbacks above). */
  method: 'kneedle' | 'max-difference' | 'flat';
  /** The difference curve `d`, one value per K. */
  difference: number[];
}

/** Finds the elbow of `sse` measured at `ks` (ascending). `sensitivity` is Kneedle's S. */
export function kneedle(ks: readonly number[], sse: readonly number[], sensitivity = 1): Elbow {
  if (ks.length !== sse.length || ks.length === 0) {
    throw new Error(`elbow: ${ks.length} K values but ${sse.length} SSE values`);
  }
  if (!(sensitivity >= 0)) throw new Error(`elbow sensitivity ${sensitivity}: expected a number >= 0`);
  const m = ks.length;
  const max = Math.max(...sse);
  const min = Math.min(...sse);
  const first = ks[0]!;
  if (m < 3 || max - min <= 1e-12 * Math.abs(max)) {
    return { k: first, method: 'flat', difference: new Array<number>(m).fill(0) };
  }
  const span = ks[m - 1]! - first;
  const xn = ks.map((k) => (k - first) / span);
  const difference = sse.map((value, i) => 1 - (value - min) / (max - min) - xn[i]!);
  const step = 1 / (m - 1);
  const isLocalMax = (i: number) =>
    difference[i]! >= difference[i - 1]! && difference[i]! > difference[i + 1]!;
  for (let i = 1; i < m - 1; i++) {
    if (!isLocalMax(i)) continue;
    const threshold = difference[i]! - sensitivity * step;
    for (let j = i + 1; j < m; j++) {
      if (j < m - 1 && isLocalMax(j)) break;
      if (difference[j]! < threshold) return { k: ks[i]!, method: 'kneedle', difference };
    }
  }
  let arg = 0;
  for (let i = 1; i < m; i++) if (difference[i]! > difference[arg]!) arg = i;
  return { k: difference[arg]! > 1e-9 ? ks[arg]! : first, method: 'max-difference', difference };
}
