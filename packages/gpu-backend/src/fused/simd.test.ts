/**
 * The SIMD module on the wasm backend: the committed module is simd.wat's assembly, and each SIMD
 * kernel gives the JS kernel's result (float32 arithmetic against the JS loops' float64) on
 * shapes whose lengths leave scalar tails; every mask bit of dropout is identical.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { runKernel, sumOfSquares } from './js-kernel.js';
import {
  ADAMW,
  DROPOUT,
  dropoutThreshold,
  RMS_NORM,
  RMS_NORM_GRAD,
  ROTARY,
  ROUTE_SOFTMAX_MIX,
  ROUTE_SOFTMAX_MIX_GRAD,
  ROUTE_SOFTMAX_MIX_PACKED,
  ROUTE_SOFTMAX_MIX_PACKED_GRAD,
  SOFTMAX_GRAD,
  SOFTMAX_LSE,
  SWIGLU_GRAD,
} from './kernels.js';
import { setSimdKernels, simdAvailable } from './simd.js';

function rand(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale + offset;
  });
}

/** Every output of kernel `name`, with the SIMD module on and off. */
function both(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) {
  const read = () =>
    tf.tidy(() => {
      const out = runKernel(name, inputs, attrs);
      return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync()));
    });
  const simd = read();
  setSimdKernels(false);
  try {
    return { simd, js: read() };
  } finally {
    setSimdKernels(true);
  }
}

function expectNear(a: Float32Array[], b: Float32Array[], rel = 2e-6, abs = 1e-6): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, k) => {
    expect(x.length).toBe(b[k]!.length);
    let worst = 0;
    for (let i = 0; i < x.length; i++)
      worst = Math.max(worst, Math.abs(x[i]! - b[k]![i]!) - rel * Math.abs(b[k]![i]!));
    expect(worst, `output ${k}`).toBeLessThanOrEqual(abs);
  });
}

describe('SIMD kernels on wasm', () => {
  let before = 0;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    before = tf.memory().numTensors;
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the committed module is the assembly of simd.wat', () => {
    const script = fileURLToPath(new URL('../../scripts/build-simd.mjs', import.meta.url));
    // exits 1 with a message when simd-module.ts is stale
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it('compiles on this engine', () => {
    expect(simdAvailable()).toBe(true);
  });

  it('softmax backward', () => {
    const y = tf.tidy(() => tf.softmax(tf.tensor2d(rand(7 * 37, 1, 3), [7, 37])));
    const dy = tf.tensor2d(rand(7 * 37, 2), [7, 37]);
    const r = both(SOFTMAX_GRAD, { dy, y });
    expectNear(r.simd, r.js);
    tf.dispose([y, dy]);
  });

  it('SwiGLU backward', () => {
    const n = 1031;
    const [dy, g, u] = [1, 2, 3].map((s) => tf.tensor1d(rand(n, s, 2)));
    const s = tf.sigmoid(g!);
    const r = both(SWIGLU_GRAD, { dy: dy!, gate: g!, up: u!, s });
    expectNear(r.simd, r.js);
    tf.dispose([dy!, g!, u!, s]);
  });

  it('log-sum-exp from the softmax, including a tie for the largest entry', () => {
    const rows = 5;
    const classes = 1003;
    const values = rand(rows * classes, 4, 5);
    values[2 * classes + 10] = values[2 * classes + 11] = 9; // a tie: the first one is read
    const x = tf.tensor2d(values, [rows, classes]);
    const p = tf.softmax(x);
    const r = both(SOFTMAX_LSE, { x, p });
    expectNear(r.simd, r.js);
    tf.dispose([x, p]);
  });

  it('AdamW', () => {
    const n = 1003;
    const p = tf.tensor1d(rand(n, 5));
    const m = tf.tensor1d(rand(n, 6, 0.1));
    const v = tf.tensor1d(rand(n, 7, 0.01, 0.011));
    const g = tf.tensor1d(rand(n, 8));
    const attrs = {
      beta1: 0.9,
      beta2: 0.999,
      c1: 0.271,
      c2: 0.003,
      eps: 1e-8,
      lr: 1e-3,
      weightDecay: 0.01,
      gradScale: 0.7,
    };
    const r = both(ADAMW, { p, m, v, g }, attrs);
    expectNear(r.simd, r.js);
    tf.dispose([p, m, v, g]);
  });

  it('RMSNorm forward and backward', () => {
    const [rows, n] = [6, 203];
    const x = tf.tensor2d(rand(rows * n, 9, 2), [rows, n]);
    const w = tf.tensor1d(rand(n, 10, 1, 1));
    const fwd = both(RMS_NORM, { x, w }, { eps: 1e-6 });
    expectNear(fwd.simd, fwd.js);
    const inv = tf.tensor1d(fwd.js[1]!);
    const dy = tf.tensor2d(rand(rows * n, 11), [rows, n]);
    const bwd = both(RMS_NORM_GRAD, { dy, x, w, inv });
    expectNear(bwd.simd, bwd.js, 1e-5, 1e-5);
    tf.dispose([x, w, inv, dy]);
  });

  it('dropout: the same mask bit for bit', () => {
    const x = tf.tensor1d(rand(4099, 12, 1, 2)); // all nonzero, so a zero is a dropped element
    for (const [rate, seed] of [
      [0.05, 17],
      [0.5, -99],
      [0.9, 2 ** 31 - 1],
    ] as const) {
      const r = both(DROPOUT, { x }, { seed, threshold: dropoutThreshold(rate), scale: 1 / (1 - rate) });
      const zeros = (a: Float32Array) => Array.from(a, (v) => (v === 0 ? 1 : 0));
      expect(zeros(r.simd[0]!)).toEqual(zeros(r.js[0]!));
      expectNear(r.simd, r.js);
    }
    x.dispose();
  });

  it('rotary forward and backward, per-batch and shared cos/sin', () => {
    for (const [b, h, t, d, cb] of [
      [2, 3, 5, 20, 2], // half = 10: two groups of four and a tail
      [3, 2, 4, 32, 1],
    ] as const) {
      const x = tf.tensor4d(rand(b * h * t * d, 14 + d), [b, h, t, d]);
      const cos = tf.tensor4d(rand(cb * t * d, 15 + d), [cb, 1, t, d]);
      const sin = tf.tensor4d(rand(cb * t * d, 16 + d), [cb, 1, t, d]);
      for (const back of [0, 1]) {
        const r = both(ROTARY, { x, cos, sin }, { back });
        expectNear(r.simd, r.js);
      }
      tf.dispose([x, cos, sin]);
    }
  });

  it('router softmax and head mixing, separate and packed, forward and backward', () => {
    for (const [rows, r, heads] of [
      [7, 5, 3], // r = 5: one group of four and a tail
      [33, 8, 4],
    ] as const) {
      const scale = 1.75;
      const h = tf.tensor2d(rand(rows * r, 20 + r), [rows, r]);
      const logits = tf.tensor2d(rand(rows * heads, 21 + r, 3), [rows, heads]);
      const hl = tf.concat([h, logits], 1);
      const dz = tf.tensor2d(rand(rows * r * heads, 22 + r), [rows, r * heads]);
      const fwd = both(ROUTE_SOFTMAX_MIX, { h, logits }, { scale });
      expectNear(fwd.simd, fwd.js);
      // ω is a softmax: every row sums to 1
      const w = fwd.simd[1]!;
      for (let t = 0; t < rows; t++) {
        let sum = 0;
        for (let i = 0; i < heads; i++) sum += w[t * heads + i]!;
        expect(sum).toBeCloseTo(1, 6);
      }
      const packed = both(ROUTE_SOFTMAX_MIX_PACKED, { hl }, { r, scale });
      expectNear(packed.simd, packed.js);
      expectNear(packed.simd, fwd.simd);
      const wt = tf.tensor2d(w, [rows, heads]);
      const back = both(ROUTE_SOFTMAX_MIX_GRAD, { dz, h, w: wt }, { scale });
      expectNear(back.simd, back.js);
      const backPacked = both(ROUTE_SOFTMAX_MIX_PACKED_GRAD, { dz, hl, w: wt }, { r, scale });
      expectNear(backPacked.simd, backPacked.js);
      // the packed gradient is [dh | dlogits]
      const d = backPacked.simd[0]!;
      const width = r + heads;
      const dh = Float32Array.from({ length: rows * r }, (_, j) => d[Math.floor(j / r) * width + (j % r)]!);
      const dl = Float32Array.from(
        { length: rows * heads },
        (_, j) => d[Math.floor(j / heads) * width + r + (j % heads)]!,
      );
      expectNear([dh, dl], back.simd);
      tf.dispose([h, logits, hl, dz, wt]);
    }
  });

  it('sum of squares', () => {
    const t = tf.tensor1d(rand(1001, 13, 3));
    const simd = sumOfSquares([t]);
    setSimdKernels(false);
    const js = sumOfSquares([t]);
    setSimdKernels(true);
    expect(simd).toBeCloseTo(js, 9);
    t.dispose();
  });
});
