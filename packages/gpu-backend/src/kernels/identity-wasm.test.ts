import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { memoryBudget } from '../memory.js';

describe('wasm Identity (clone) shares the buffer', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('clones hold no new bytes, keep their values after the original is disposed, and free on dispose', async () => {
    // (tf.memory().numBytes counts bytes per tensor object, shared or not: read the heap's live bytes)
    const live = () => memoryBudget().liveBytes!;
    const before = { tensors: tf.memory().numTensors, heap: live() };
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const heap = live();
    const c = tf.clone(x);
    expect(c.dataId).toBe(x.dataId);
    expect(live()).toBe(heap);
    x.dispose();
    expect(live()).toBe(heap);
    expect(Array.from(await c.data())).toEqual([1, 2, 3, 4, 5, 6]);
    c.dispose();
    expect(live()).toBe(before.heap);
    expect(tf.memory().numTensors).toBe(before.tensors);
    const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    expect(await s.data()).toEqual(['a', 'b']);
    s.dispose();
  });

  it('a saved-for-backward activation is held once: gradients unchanged', async () => {
    const x = tf.tensor1d([0.5, -2, 3]);
    const [g] = [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(t), t)))(x)];
    const s = [0.5, -2, 3].map((v) => 1 / (1 + Math.exp(-v)));
    const ref = [0.5, -2, 3].map((v, i) => s[i]! + v * s[i]! * (1 - s[i]!));
    Array.from(await g!.data()).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 6));
    tf.dispose([x, g!]);
  });
});
