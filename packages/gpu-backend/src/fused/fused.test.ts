/**
 * The fused ops on wasm and cpu: each against a float64 closed form written here (forward and the
 * vector–Jacobian product for a random cotangent), against its own composite tfjs path (the
 * kernel unregistered, as on a backend without it), a central finite difference of the scalar
 * ⟨dy, f(x)⟩ in float64 through the closed form, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { memoryBudget } from '../memory.js';
import { registerFusedKernels } from './index.js';
import { hasKernel, peekFloat32, sumOfSquares } from './js-kernel.js';
import { dropoutHash, dropoutThreshold, FUSED_KERNELS } from './kernels.js';
import {
  adamwStep,
  dropout,
  fusedSoftmax,
  rmsNorm,
  rotary,
  routeMix,
  routeSoftmaxMix,
  routeSoftmaxMixPacked,
  SMALL_SOFTMAX_MAX,
  swiglu,
} from './ops.js';

/** A seeded uniform(-1, 1) array (LCG), so failures reproduce. */
function rand(n: number, seed: number, scale = 1): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-5, abs = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) - rel * Math.abs(expected[i]!);
    worst = Math.max(worst, err);
  }
  expect(worst).toBeLessThanOrEqual(abs);
}

/** Rows of a [rows, n] float64 array → softmax per row. */
function softmaxRef(x: Float64Array, n: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += n) {
    let max = -Infinity;
    for (let j = 0; j < n; j++) max = Math.max(max, x[o + j]!);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += y[o + j] = Math.exp(x[o + j]! - max);
    for (let j = 0; j < n; j++) y[o + j]! /= sum;
  }
  return y;
}

/** ∂⟨dy, softmax(x)⟩/∂x in closed form: y ⊙ (dy − ⟨dy, y⟩) per row. */
function softmaxVjpRef(x: Float64Array, dy: Float64Array, n: number): Float64Array {
  const y = softmaxRef(x, n);
  const dx = new Float64Array(x.length);
  for (let o = 0; o < x.length; o += n) {
    let dot = 0;
    for (let j = 0; j < n; j++) dot += dy[o + j]! * y[o + j]!;
    for (let j = 0; j < n; j++) dx[o + j] = y[o + j]! * (dy[o + j]! - dot);
  }
  return dx;
}

/** Central finite difference of f at x along each coordinate (float64). */
function finiteDiff(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[i]! += h;
    xm[i]! -= h;
    g[i] = (f(xp) - f(xm)) / (2 * h);
  }
  return g;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** Run `fn` with the fused kernels unregistered on the active backend (the composite path). */
function withoutKernels<T>(fn: () => T): T {
  const backend = tf.getBackend();
  for (const k of FUSED_KERNELS) tf.unregisterKernel(k.name, backend);
  try {
    return fn();
  } finally {
    registerFusedKernels(backend);
  }
}

/** Value and the vjp of `f` for cotangent dy, as float64 host arrays. */
function valueAndVjp(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  dy: tf.Tensor,
): { value: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const value = f(...inputs).dataSync() as Float32Array;
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs);
    return { value: Float32Array.from(value), grads: grads.map((g) => Float32Array.from(g.dataSync())) };
  });
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`fused ops on ${backend}`, () => {
    let before = 0;
    beforeAll(async () => {
      await initBackend({ backend });
      before = tf.memory().numTensors;
    });
    afterAll(() => {
      expect(tf.memory().numTensors).toBe(before); // nothing leaked across the suite
    });

    it('registers every fused kernel', () => {
      for (const k of FUSED_KERNELS) expect(hasKernel(k.name), k.name).toBe(true);
    });

    for (const [rows, n, withBias] of [
      [6, 4, false], // a router's rows: the JS forward kernel
      [3, 7, false],
      [4, SMALL_SOFTMAX_MAX + 8, false], // longer rows: XNNPACK / tfjs forward
      [5, 9, true], // attention: softmax(x + mask)
    ] as const) {
      it(`fusedSoftmax [${rows}, ${n}]${withBias ? ' + bias' : ''}: closed form, composite path, finite differences`, () => {
        const x = rand(rows * n, 11 + n, 3);
        const bias = withBias
          ? Float64Array.from({ length: rows * n }, (_, i) => (i % n > Math.floor(i / n) % n ? -1e9 : 0))
          : null;
        const dy = rand(rows * n, 97 + n);
        const xb = bias ? x.map((v, i) => v + bias[i]!) : x;
        const xt = tf.tensor2d(Float32Array.from(x), [rows, n]);
        const bt = bias ? tf.tensor2d(Float32Array.from(bias), [rows, n]) : undefined;
        const dyt = tf.tensor2d(Float32Array.from(dy), [rows, n]);
        const f = (t: tf.Tensor) => fusedSoftmax(t, bt);
        const fused = valueAndVjp(f, [xt], dyt);
        const composite = withoutKernels(() => valueAndVjp(f, [xt], dyt));
        expectClose(fused.value, softmaxRef(xb, n));
        expectClose(fused.grads[0]!, softmaxVjpRef(xb, dy, n));
        expectClose(fused.value, composite.value);
        expectClose(fused.grads[0]!, composite.grads[0]!);
        const fd = finiteDiff((v) => dot(softmaxRef(bias ? v.map((e, i) => e + bias[i]!) : v, n), dy), x);
        expectClose(fused.grads[0]!, fd, 1e-4, 1e-6);
        tf.dispose([xt, dyt, ...(bt ? [bt] : [])]);
      });
    }

    it('swiglu: closed form, composite path, finite differences', () => {
      const shape = [3, 5, 8];
      const size = 120;
      const g = rand(size, 5, 4);
      const u = rand(size, 6, 2);
      const dy = rand(size, 7);
      const silu = (v: number) => v / (1 + Math.exp(-v));
      const ref = g.map((gi, i) => silu(gi) * u[i]!);
      const gt = tf.tensor(Float32Array.from(g), shape);
      const ut = tf.tensor(Float32Array.from(u), shape);
      const dyt = tf.tensor(Float32Array.from(dy), shape);
      const fused = valueAndVjp(swiglu, [gt, ut], dyt);
      const composite = withoutKernels(() => valueAndVjp(swiglu, [gt, ut], dyt));
      expectClose(fused.value, ref);
      const fdG = finiteDiff(
        (v) =>
          dot(
            v.map((gi, i) => silu(gi) * u[i]!),
            dy,
          ),
        g,
      );
      const fdU = finiteDiff(
        (v) =>
          dot(
            v.map((ui, i) => silu(g[i]!) * ui),
            dy,
          ),
        u,
      );
      expectClose(fused.grads[0]!, fdG, 1e-4, 1e-6);
      expectClose(fused.grads[1]!, fdU, 1e-4, 1e-6);
      for (let k = 0; k < 2; k++) expectClose(fused.grads[k]!, composite.grads[k]!);
      expect(() => tf.tidy(() => swiglu(gt, tf.zeros([3, 5])))).toThrow(/same shape/);
      tf.dispose([gt, ut, dyt]);
    });

    it('routeMix: z[t, i·r + k] = s·ω[t, i]·h[t, k]; gradients in h and ω', () => {
      const [rows, r, heads, scale] = [5, 3, 4, 0.75];
      const h = rand(rows * r, 21, 2);
      const w = rand(rows * heads, 22);
      const dz = rand(rows * heads * r, 23);
      const mix = (hv: Float64Array, wv: Float64Array) => {
        const z = new Float64Array(rows * heads * r);
        for (let t = 0; t < rows; t++)
          for (let i = 0; i < heads; i++)
            for (let k = 0; k < r; k++)
              z[(t * heads + i) * r + k] = scale * wv[t * heads + i]! * hv[t * r + k]!;
        return z;
      };
      const ht = tf.tensor2d(Float32Array.from(h), [rows, r]);
      const wt = tf.tensor2d(Float32Array.from(w), [rows, heads]);
      const dzt = tf.tensor2d(Float32Array.from(dz), [rows, heads * r]);
      const f = (a: tf.Tensor, b: tf.Tensor) => routeMix(a as tf.Tensor2D, b as tf.Tensor2D, scale);
      const fused = valueAndVjp(f, [ht, wt], dzt);
      const composite = withoutKernels(() => valueAndVjp(f, [ht, wt], dzt));
      expectClose(fused.value, mix(h, w));
      expectClose(
        fused.grads[0]!,
        finiteDiff((v) => dot(mix(v, w), dz), h),
        1e-4,
        1e-6,
      );
      expectClose(
        fused.grads[1]!,
        finiteDiff((v) => dot(mix(h, v), dz), w),
        1e-4,
        1e-6,
      );
      expectClose(fused.value, composite.value);
      for (let k = 0; k < 2; k++) expectClose(fused.grads[k]!, composite.grads[k]!);
      expect(() => tf.tidy(() => routeMix(ht, tf.zeros([4, heads]) as tf.Tensor2D))).toThrow(/same rows/);
      tf.dispose([ht, wt, dzt]);
    });

    it('routeSoftmaxMix: routeMix of h with softmax(logits); gradients in h and the logits', () => {
      const [rows, r, heads, scale] = [6, 5, 4, 1.25];
      const h = Float64Array.from(Float32Array.from(rand(rows * r, 31, 2)));
      const l = Float64Array.from(Float32Array.from(rand(rows * heads, 32, 3)));
      const dz = rand(rows * heads * r, 33);
      const mix = (hv: Float64Array, lv: Float64Array) => {
        const w = softmaxRef(lv, heads);
        const z = new Float64Array(rows * heads * r);
        for (let t = 0; t < rows; t++)
          for (let i = 0; i < heads; i++)
            for (let k = 0; k < r; k++)
              z[(t * heads + i) * r + k] = scale * w[t * heads + i]! * hv[t * r + k]!;
        return z;
      };
      const ht = tf.tensor2d(Float32Array.from(h), [rows, r]);
      const lt = tf.tensor2d(Float32Array.from(l), [rows, heads]);
      const dzt = tf.tensor2d(Float32Array.from(dz), [rows, heads * r]);
      const f = (a: tf.Tensor, b: tf.Tensor) => routeSoftmaxMix(a as tf.Tensor2D, b as tf.Tensor2D, scale);
      const fused = valueAndVjp(f, [ht, lt], dzt);
      const composite = withoutKernels(() => valueAndVjp(f, [ht, lt], dzt));
      expectClose(fused.value, mix(h, l));
      expectClose(
        fused.grads[0]!,
        finiteDiff((v) => dot(mix(v, l), dz), h),
        1e-4,
        1e-6,
      );
      expectClose(
        fused.grads[1]!,
        finiteDiff((v) => dot(mix(h, v), dz), l),
        1e-4,
        1e-6,
      );
      expectClose(fused.value, composite.value);
      for (let k = 0; k < 2; k++) expectClose(fused.grads[k]!, composite.grads[k]!);
      expect(() => tf.tidy(() => routeSoftmaxMix(ht, tf.zeros([4, heads]) as tf.Tensor2D))).toThrow(
        /same rows/,
      );
      // packed: hl = [h | logits] [rows, r + N], one input and one gradient
      const hl = tf.concat([ht, lt], 1) as tf.Tensor2D;
      const g = (a: tf.Tensor) => routeSoftmaxMixPacked(a as tf.Tensor2D, r, scale);
      const packed = valueAndVjp(g, [hl], dzt);
      const packedComposite = withoutKernels(() => valueAndVjp(g, [hl], dzt));
      expectClose(packed.value, fused.value);
      const dhl = packed.grads[0]!;
      for (let t = 0; t < rows; t++) {
        expectClose(
          dhl.subarray(t * (r + heads), t * (r + heads) + r),
          fused.grads[0]!.subarray(t * r, (t + 1) * r),
        );
        expectClose(
          dhl.subarray(t * (r + heads) + r, (t + 1) * (r + heads)),
          fused.grads[1]!.subarray(t * heads, (t + 1) * heads),
        );
      }
      expectClose(packedComposite.value, packed.value);
      expectClose(packedComposite.grads[0]!, dhl);
      expect(() => tf.tidy(() => routeSoftmaxMixPacked(hl, r + heads))).toThrow(
        /r is 9; expected an integer in \[1, 8\]/,
      );
      hl.dispose();
      tf.dispose([ht, lt, dzt]);
    });

    it('adamwStep: two steps against AdamW written out in float64, and the composite path', () => {
      const n = 37;
      const p0 = rand(n, 31);
      const grads = [rand(n, 32), rand(n, 33)];
      const opts = { beta1: 0.9, beta2: 0.99, eps: 1e-8, lr: 0.05, weightDecay: 0.1, gradScale: 0.5 };
      // reference (Loshchilov & Hutter, Algorithm 2), float64
      const ref = { p: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n) };
      for (const [t, g] of grads.entries()) {
        const c1 = 1 - opts.beta1 ** (t + 1);
        const c2 = 1 - opts.beta2 ** (t + 1);
        for (let i = 0; i < n; i++) {
          const gi = g[i]! * opts.gradScale;
          ref.m[i] = opts.beta1 * ref.m[i]! + (1 - opts.beta1) * gi;
          ref.v[i] = opts.beta2 * ref.v[i]! + (1 - opts.beta2) * gi * gi;
          const update = ref.m[i]! / c1 / (Math.sqrt(ref.v[i]! / c2) + opts.eps);
          ref.p[i] = ref.p[i]! * (1 - opts.lr * opts.weightDecay) - opts.lr * update;
        }
      }
      const run = () => {
        let state = [tf.tensor1d(Float32Array.from(p0)), tf.zeros([n]), tf.zeros([n])] as tf.Tensor[];
        for (const [t, g] of grads.entries()) {
          const gt = tf.tensor1d(Float32Array.from(g));
          const next = adamwStep(state[0]!, state[1]!, state[2]!, gt, {
            ...opts,
            c1: 1 - opts.beta1 ** (t + 1),
            c2: 1 - opts.beta2 ** (t + 1),
          });
          tf.dispose([...state, gt]);
          state = next;
        }
        const out = state.map((s) => Float32Array.from(s.dataSync()));
        tf.dispose(state);
        return out;
      };
      const fused = run();
      const composite = withoutKernels(run);
      expectClose(fused[0]!, ref.p);
      expectClose(fused[1]!, ref.m);
      expectClose(fused[2]!, ref.v, 1e-5, 1e-9);
      for (let k = 0; k < 3; k++) expectClose(fused[k]!, composite[k]!);
      const p = tf.zeros([3]);
      expect(() => tf.tidy(() => adamwStep(p, p, tf.zeros([4]), p, { ...opts, c1: 0.1, c2: 0.01 }))).toThrow(
        /shape/,
      );
      p.dispose();
    });

    for (const [rows, n] of [
      [5, 12],
      [3, 7], // a row length that is not a multiple of four: the SIMD loops' scalar tails
    ] as const) {
      it(`rmsNorm [${rows}, ${n}]: closed form, composite path, finite differences in x and w`, () => {
        const eps = 1e-5;
        const x = rand(rows * n, 61 + n, 2);
        const w = rand(n, 62 + n, 1.5);
        const dy = rand(rows * n, 63 + n);
        // float64 closed form of ⟨dy, rmsNorm(x, w)⟩ and its value
        const forward = (xs: Float64Array, ws: Float64Array) => {
          const y = new Float64Array(xs.length);
          for (let o = 0; o < xs.length; o += n) {
            let ss = 0;
            for (let j = 0; j < n; j++) ss += xs[o + j]! ** 2;
            const inv = 1 / Math.sqrt(ss / n + eps);
            for (let j = 0; j < n; j++) y[o + j] = xs[o + j]! * inv * ws[j]!;
          }
          return y;
        };
        const tx = tf.tensor2d(Float32Array.from(x), [rows, n]);
        const tw = tf.tensor1d(Float32Array.from(w));
        const tdy = tf.tensor2d(Float32Array.from(dy), [rows, n]);
        const f = (a: tf.Tensor, b: tf.Tensor) => rmsNorm(a, b, eps);
        const fused = valueAndVjp(f, [tx, tw], tdy);
        const composite = withoutKernels(() => valueAndVjp(f, [tx, tw], tdy));
        const x32 = Float64Array.from(Float32Array.from(x));
        const w32 = Float64Array.from(Float32Array.from(w));
        expectClose(fused.value, forward(x32, w32));
        const dx = finiteDiff((xs) => dot(dy, forward(xs, w32)), x32);
        const dw = finiteDiff((ws) => dot(dy, forward(x32, ws)), w32);
        expectClose(fused.grads[0]!, dx, 1e-4, 1e-5);
        expectClose(fused.grads[1]!, dw, 1e-4, 1e-5);
        expectClose(fused.value, composite.value);
        expectClose(fused.grads[0]!, composite.grads[0]!, 1e-4, 1e-5);
        expectClose(fused.grads[1]!, composite.grads[1]!, 1e-4, 1e-5);
        expect(() => tf.tidy(() => rmsNorm(tx, tf.ones([n + 1]), eps))).toThrow(
          /gain has shape \[\d+\]; expected \[\d+\]/,
        );
        tf.dispose([tx, tw, tdy]);
      });
    }

    it('dropout: the mask is the hash of (seed, index); kept values scaled; backward reuses the mask', () => {
      const n = 20_003; // not a multiple of four
      const rate = 0.3;
      const seed = 1234567;
      const x = tf.tensor1d(Float32Array.from(rand(n, 71, 2)));
      const xs = x.dataSync();
      const { value, grads } = tf.tidy(() => {
        const y = dropout(x, rate, seed);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(dropout(a, rate, seed), tf.range(0, n))))(x);
        return { value: Float32Array.from(y.dataSync()), grads: Float32Array.from(g.dataSync()) };
      });
      const threshold = dropoutThreshold(rate);
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const keep = dropoutHash(seed, i) >= threshold;
        kept += keep ? 1 : 0;
        expect(value[i]).toBeCloseTo(keep ? xs[i]! / (1 - rate) : 0, 5);
        // d/dx_i Σ_j j·dropout(x)_j = i·mask_i/(1 − rate)
        expect(grads[i]).toBeCloseTo(keep ? i / (1 - rate) : 0, 1);
      }
      // the share kept is 1 − rate within 5 standard deviations
      expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n));
      // same seed, same mask; another seed, another mask
      const again = tf.tidy(() => Float32Array.from(dropout(x, rate, seed).dataSync()));
      expect(again).toEqual(value);
      const other = tf.tidy(() => Float32Array.from(dropout(x, rate, seed + 1).dataSync()));
      expect(other).not.toEqual(value);
      expect(tf.tidy(() => Array.from(dropout(x, 0, seed).dataSync()))).toEqual(Array.from(xs));
      expect(() => dropout(x, 1, seed)).toThrow(/rate is 1; expected a number in \[0, 1\)/);
      expect(() => dropout(x, 0.1, 0.5)).toThrow(/seed is 0.5; expected an integer/);
      x.dispose();
    });

    for (const [b, h, t, d, cb] of [
      [2, 3, 4, 12, 2], // half = 6: a group of four and a scalar tail
      [1, 2, 3, 6, 1], // cos shared over the batch; half = 3: scalar only
    ] as const) {
      it(`rotary [${b}, ${h}, ${t}, ${d}] with cos [${cb}, 1, ${t}, ${d}]: closed form, composite, finite differences`, () => {
        const x = Float64Array.from(Float32Array.from(rand(b * h * t * d, 81 + d, 2)));
        const c = Float64Array.from(Float32Array.from(rand(cb * t * d, 82 + d)));
        const sn = Float64Array.from(Float32Array.from(rand(cb * t * d, 83 + d)));
        const dy = rand(b * h * t * d, 84 + d);
        const half = d / 2;
        const ref = (xs: Float64Array) => {
          const y = new Float64Array(xs.length);
          for (let bi = 0; bi < b; bi++)
            for (let hi = 0; hi < h; hi++)
              for (let ti = 0; ti < t; ti++)
                for (let j = 0; j < d; j++) {
                  const o = ((bi * h + hi) * t + ti) * d;
                  const co = ((cb === 1 ? 0 : bi) * t + ti) * d + j;
                  const rot = j < half ? -xs[o + j + half]! : xs[o + j - half]!;
                  y[o + j] = xs[o + j]! * c[co]! + rot * sn[co]!;
                }
          return y;
        };
        const tx = tf.tensor4d(Float32Array.from(x), [b, h, t, d]);
        const tc = tf.tensor4d(Float32Array.from(c), [cb, 1, t, d]);
        const ts = tf.tensor4d(Float32Array.from(sn), [cb, 1, t, d]);
        const tdy = tf.tensor4d(Float32Array.from(dy), [b, h, t, d]);
        const f = (a: tf.Tensor) => rotary(a, tc, ts);
        const fused = valueAndVjp(f, [tx], tdy);
        const composite = withoutKernels(() => valueAndVjp(f, [tx], tdy));
        expectClose(fused.value, ref(x));
        expectClose(
          fused.grads[0]!,
          finiteDiff((v) => dot(ref(v), dy), x),
          1e-4,
          1e-6,
        );
        expectClose(composite.value, fused.value);
        expectClose(composite.grads[0]!, fused.grads[0]!);
        expect(() => tf.tidy(() => rotary(tx, tf.zeros([b, 1, t + 1, d]), ts))).toThrow(/rotary: x \[/);
        // cos and sin disposed by the caller before the backward runs (as the decoder does)
        const late = tf.tidy(() =>
          tf
            .grad((a: tf.Tensor) => {
              const [c2, s2] = [tc.clone(), ts.clone()];
              const y = rotary(a, c2, s2);
              tf.dispose([c2, s2]);
              return tf.sum(tf.mul(y, tdy));
            })(tx)
            .dataSync(),
        );
        expectClose(Float32Array.from(late), fused.grads[0]!);
        tf.dispose([tx, tc, ts, tdy]);
      });
    }

    it('sumOfSquares reads the backend memory without kernels and matches the sum', () => {
      const a = rand(1001, 41);
      const b = rand(6, 42);
      const ta = tf.tensor1d(Float32Array.from(a));
      const tb = tf.tensor2d(Float32Array.from(b), [2, 3]);
      const expected =
        dot(Float32Array.from(a), Float32Array.from(a)) + dot(Float32Array.from(b), Float32Array.from(b));
      const tensorsBefore = tf.engine().state.numTensors;
      expect(sumOfSquares([ta, tb])).toBeCloseTo(expected, 8);
      // no kernel ran: a kernel would have made (and disposed) at least one tensor
      expect(tf.engine().state.numTensors).toBe(tensorsBefore);
      expect(peekFloat32(ta)?.length).toBe(1001);
      expect(sumOfSquares([])).toBe(0);
      const ints = tf.tensor1d([3, 4], 'int32');
      expect(peekFloat32(ints)).toBeNull();
      expect(sumOfSquares([ints])).toBe(25); // other dtypes: through tfjs ops
      tf.dispose([ta, tb, ints]);
    });

    if (backend === 'wasm') {
      it('a same-dtype Cast shares the buffer; a real conversion still converts', () => {
        const live = () => memoryBudget().liveBytes!;
        const x = tf.tensor1d([1.5, -2, 3]);
        const heap = live();
        const c = tf.cast(x, 'float32');
        expect(c.dataId).toBe(x.dataId);
        expect(live()).toBe(heap);
        x.dispose();
        expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3]);
        const i = tf.cast(c, 'int32');
        expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
        const back = tf.cast(i, 'float32');
        expect(back.dtype).toBe('float32');
        expect(Array.from(back.dataSync())).toEqual([1, -2, 3]);
        tf.dispose([c, i, back]);
      });
    }
  });
}
