/**
 * Independent references for the op tests: float64 plain-JS products and central finite
 * differences. Nothing here touches tfjs, so a bug in an op cannot hide in its own reference.
 */

/** A deterministic generator (mulberry32, from @hydralora/common) so that failures reproduce. */
export { mulberry32 as rng } from '@hydralora/common';

/** Uniform values in [-1, 1), rounded to float32 so that JS and tfjs start from the same numbers. */
export function randomArray(n: number, random: () => number): Float64Array {
  return Float64Array.from(Float32Array.from({ length: n }, () => random() * 2 - 1));
}

/**
 * Batched product with optional transposes of the last two axes, in float64:
 * a [...lead, m, k] (or [..., k, m]) · b [...lead, k, n] (or [..., n, k]).
 */
export function refMatMul(
  a: Float64Array,
  aShape: number[],
  b: Float64Array,
  bShape: number[],
  transposeA = false,
  transposeB = false,
): { data: Float64Array; shape: number[] } {
  const r = aShape.length;
  const lead = aShape.slice(0, -2);
  const batch = lead.reduce((p, d) => p * d, 1);
  const [a0, a1] = [aShape[r - 2]!, aShape[r - 1]!];
  const [b0, b1] = [bShape[r - 2]!, bShape[r - 1]!];
  const m = transposeA ? a1 : a0;
  const k = transposeA ? a0 : a1;
  const n = transposeB ? b0 : b1;
  const out = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const ao = p * a0 * a1;
    const bo = p * b0 * b1;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = transposeA ? a[ao + q * a1 + i]! : a[ao + i * a1 + q]!;
          const bv = transposeB ? b[bo + j * b1 + q]! : b[bo + q * b1 + j]!;
          s += av * bv;
        }
        out[p * m * n + i * n + j] = s;
      }
    }
  }
  return { data: out, shape: [...lead, m, n] };
}

/** The test loss L(y) = Σ r⊙y + ½ Σ y², so that dL/dy = r + y varies per element. */
export function refLoss(y: Float64Array, r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += r[i]! * y[i]! + 0.5 * y[i]! * y[i]!;
  return s;
}

/**
 * Central finite differences of a float64 function of several parameter arrays, one entry at a
 * time: (f(θ + h·e_i) − f(θ − h·e_i)) / 2h. The test losses are polynomials of degree ≤ 2 in each
 * entry, so the truncation error vanishes and only float64 rounding (~1e-16/h) remains.
 */
export function finiteDifferences(
  f: (params: Float64Array[]) => number,
  params: Float64Array[],
  h = 1e-3,
): Float64Array[] {
  return params.map((p, index) => {
    const g = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const copy = params.map((q) => q.slice());
      copy[index]![i] = p[i]! + h;
      const up = f(copy);
      copy[index]![i] = p[i]! - h;
      const down = f(copy);
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}

/** Norm-wise relative error max|a − b| / max|b| (max|b| floored at 1e-12). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`length mismatch: ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}
