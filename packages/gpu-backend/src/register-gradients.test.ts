import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';

/** The gradient files tfjs-core ships: one `<Kernel>_grad.js` per differentiable kernel. */
function shippedGradientKernels(): string[] {
  const require = createRequire(import.meta.url);
  const dir = path.join(
    path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')),
    'dist/gradients',
  );
  return readdirSync(dir)
    .filter((f) => f.endsWith('_grad.js'))
    .map((f) => f.slice(0, -'_grad.js'.length))
    .sort();
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('gradient registration without @tensorflow/tfjs', () => {
  let before: number;
  beforeAll(() => {
    before = tf.memory().numTensors;
  });
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(before);
  });

  it('registers a gradient for every gradient file tfjs-core ships', () => {
    const shipped = shippedGradientKernels();
    expect(shipped.length).toBeGreaterThan(90);
    const missing = shipped.filter((kernel) => tf.getGradient(kernel) === undefined);
    expect(missing).toEqual([]);
  });

  it('installs the chained tensor methods', () => {
    const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
    for (const method of ['add', 'matMul', 'square', 'sum', 'softmax', 'reshape', 'transpose', 'gather']) {
      expect(typeof proto[method], method).toBe('function');
    }
  });

  it('differentiates an attention-and-RMSNorm-shaped function like a central difference', () => {
    // f(x) = Σ softmax(x·Wᵀ/2) ⊙ (rsqrt(mean(x²)+ε)·x)·V, built from chained methods and ops whose
    // gradients the adapters and decoder rely on (MatMul, Softmax, Rsqrt, Mean, Gather, Concat, Slice).
    const x0 = [0.3, -0.7, 0.2, 0.9, -0.4, 0.5];
    const f = (x: tf.Tensor): tf.Scalar =>
      tf.tidy(() => {
        const m = x.reshape([2, 3]);
        const w = tf.tensor2d([0.5, -0.2, 0.1, 0.3, 0.8, -0.6], [2, 3]);
        const v = tf.tensor2d([1, -1, 0.5, 0.2, 0.3, -0.4], [3, 2]);
        const norm = m.mul(m.square().mean(1, true).add(1e-6).rsqrt());
        const attn = m.matMul(w, false, true).div(2).softmax();
        const rows = tf.gather(norm.matMul(v), [1, 0]);
        const mixed = tf.concat([attn, rows], 1).slice([0, 1], [2, 3]);
        return mixed.exp().sum() as tf.Scalar;
      });
    const x = tf.tensor1d(x0);
    const analytic = tf.tidy(() => tf.grad(f)(x).arraySync() as number[]);
    const h = 1e-2;
    const numeric = x0.map((_, i) => {
      const plus = x0.slice();
      const minus = x0.slice();
      plus[i] = (plus[i] as number) + h;
      minus[i] = (minus[i] as number) - h;
      const [fp, fm] = tf.tidy(() => [f(tf.tensor1d(plus)).arraySync(), f(tf.tensor1d(minus)).arraySync()]);
      return ((fp as number) - (fm as number)) / (2 * h);
    });
    x.dispose();
    analytic.forEach((g, i) => {
      expect(Math.abs(g - (numeric[i] as number))).toBeLessThan(2e-3 * Math.max(1, Math.abs(g)));
    });
  });
});
