import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { installLeanGradients, leanGradientsInstalled } from './lean-gradients.js';
import { linear } from './ops/linear.js';
import { randomArray, rng } from './testing/reference.js';
import { readAll, TEST_PATHS, tensorOf, testPathAvailable, useTestPath } from './testing/tf-helpers.js';

/** A small two-layer step with a tensor used twice, a custom gradient and a broadcast. */
function loss(x: tf.Tensor, w1: tf.Variable, w2: tf.Variable, b: tf.Variable): tf.Scalar {
  const h = tf.relu(linear(x, w1, b));
  const g = tf.mul(h, tf.sigmoid(h)); // h used twice
  const y = tf.matMul(g, w2);
  return tf.mean(tf.square(tf.sub(y, tf.sum(x, 1, true)))) as tf.Scalar;
}

describe.each(TEST_PATHS.filter(testPathAvailable))('lean backpropagation on %s', (path) => {
  beforeAll(async () => {
    await useTestPath(path);
  });
  afterAll(() => installLeanGradients(true));

  it('is installed by initBackend, gives the same gradients as tfjs, holds less, leaks nothing', async () => {
    expect(leanGradientsInstalled()).toBe(true);
    const random = rng(8);
    const x = tensorOf(randomArray(64 * 32, random), [64, 32]);
    const w1 = tf.variable(tensorOf(randomArray(32 * 48, random), [32, 48]));
    const w2 = tf.variable(tensorOf(randomArray(48 * 8, random), [48, 8]));
    const b = tf.variable(tensorOf(randomArray(48, random), [48]));
    const run = async () => {
      const before = tf.memory().numTensors;
      const profile = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => loss(x, w1, w2, b), [w1, w2, b]);
        tf.dispose([value, ...Object.values(grads)]);
        return [] as tf.Tensor[];
      });
      expect(tf.memory().numTensors).toBe(before);
      const { value, grads } = tf.variableGrads(() => loss(x, w1, w2, b), [w1, w2, b]);
      const values = await readAll([value, grads[w1.name]!, grads[w2.name]!, grads[b.name]!]);
      return { peak: profile.peakBytes, values };
    };
    const lean = await run();
    installLeanGradients(false);
    expect(leanGradientsInstalled()).toBe(false);
    const own = await run();
    installLeanGradients(true);
    lean.values.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(own.values[i]!)));
    expect(lean.peak).toBeLessThan(own.peak);
    tf.dispose([x, w1, w2, b]);
  });

  it('keeps higher-order gradients and a caller-given dy working', async () => {
    const x = tf.tensor1d([0.5, -1.5, 2]);
    const d2 = tf.grad(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mul(t, t), t))));
    const [second] = await readAll([d2(x)]);
    expect(Array.from(second!)).toEqual([3, -9, 12]); // d²/dt² t³ = 6t
    const dy = tf.tensor1d([1, 2, 3]);
    const [g] = await readAll([tf.grad((t: tf.Tensor) => tf.mul(t, 2))(x, dy)]);
    expect(Array.from(g!)).toEqual([2, 4, 6]);
    expect(dy.isDisposed).toBe(false);
    tf.dispose([x, dy]);
  });
});

describe('HYDRALORA_LEAN_GRADIENTS=off', () => {
  it('keeps tfjs own backpropagation', async () => {
    process.env.HYDRALORA_LEAN_GRADIENTS = 'off';
    try {
      await initBackend({ backend: 'cpu' });
      await initBackend({ backend: 'wasm' });
      expect(leanGradientsInstalled()).toBe(false);
    } finally {
      delete process.env.HYDRALORA_LEAN_GRADIENTS;
      installLeanGradients(true);
    }
  });
});
