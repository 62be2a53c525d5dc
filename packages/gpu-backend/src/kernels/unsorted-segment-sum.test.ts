import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { randomArray, relativeError, rng } from '../testing/reference.js';
import { TEST_BACKENDS } from '../testing/tf-helpers.js';

/** Plain-JS reference: rows of x summed by segment id (ids outside the range dropped). */
function reference(x: ArrayLike<number>, ids: ArrayLike<number>, inner: number, segments: number): number[] {
  const out = new Array<number>(segments * inner).fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= segments) continue;
    for (let j = 0; j < inner; j++) out[s * inner + j]! += x[i * inner + j]!;
  }
  return out;
}

describe.each(TEST_BACKENDS)('UnsortedSegmentSum on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it('matches a plain-JS reference for float32 and int32, including repeated and out-of-range ids', async () => {
    const before = tf.memory().numTensors;
    const random = rng(3);
    const rows = 50;
    const inner = 6;
    const segments = 9;
    const x = Float32Array.from(randomArray(rows * inner, random));
    const ids = Int32Array.from({ length: rows }, () => Math.floor(random() * (segments + 2)) - 1);
    const xt = tf.tensor2d(x, [rows, inner]);
    const idt = tf.tensor1d(ids, 'int32');
    const out = tf.unsortedSegmentSum(xt, idt, segments);
    expect(out.shape).toEqual([segments, inner]);
    expect(relativeError(await out.data(), reference(x, ids, inner, segments))).toBeLessThan(1e-6);
    const xi = tf.tensor2d(
      Int32Array.from(x, (v) => Math.round(v * 100)),
      [rows, inner],
      'int32',
    );
    const outInt = tf.unsortedSegmentSum(xi, idt, segments);
    expect(outInt.dtype).toBe('int32');
    expect(Array.from(await outInt.data())).toEqual(reference(await xi.data(), ids, inner, segments));
    tf.dispose([xt, idt, out, xi, outInt]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('makes the gradient of tf.gather (embedding lookup) work and correct', async () => {
    const before = tf.memory().numTensors;
    const random = rng(4);
    const vocab = 20;
    const dim = 8;
    const table = tf.tensor2d(Float32Array.from(randomArray(vocab * dim, random)), [vocab, dim]);
    const tokens = Int32Array.from({ length: 2 * 7 }, () => Math.floor(random() * vocab));
    const idt = tf.tensor2d(tokens, [2, 7], 'int32');
    const weights = Float32Array.from(randomArray(2 * 7 * dim, random));
    const wt = tf.tensor3d(weights, [2, 7, dim]);
    // L = Σ w ⊙ table[tokens]  ⇒  dL/dtable[v] = Σ_{i: tokens[i] = v} w[i]
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idt), wt)))([table]);
    expect(g!.shape).toEqual([vocab, dim]);
    expect(relativeError(await g!.data(), reference(weights, tokens, dim, vocab))).toBeLessThan(1e-6);
    tf.dispose([table, idt, wt, g!]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('handles a vocabulary of 32k rows in one pass', async () => {
    const before = tf.memory().numTensors;
    const vocab = 32_000;
    const ids = tf.tensor1d(
      Int32Array.from({ length: 4096 }, (_, i) => (i * 7919) % vocab),
      'int32',
    );
    const x = tf.ones([4096, 16]);
    const out = tf.unsortedSegmentSum(x, ids, vocab);
    const sum = tf.sum(out);
    expect(await sum.data()).toEqual(Float32Array.from([4096 * 16]));
    tf.dispose([ids, x, out, sum]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
