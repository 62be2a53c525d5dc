import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDifferences, randomArray, relativeError, rng } from '../testing/reference.js';
import { readAll, TEST_PATHS, tensorOf, testPathAvailable, useTestPath } from '../testing/tf-helpers.js';
import { crossEntropy } from './cross-entropy.js';

/** float64 mean cross-entropy over counted rows of x [rows, classes]. */
function refCrossEntropy(x: Float64Array, rows: number, classes: number, labels: number[]): number {
  let total = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r]!;
    if (label < 0) continue;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, x[r * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(x[r * classes + c]! - max);
    total += max + Math.log(sum) - x[r * classes + label]!;
    count++;
  }
  return total / count;
}

describe.each(TEST_PATHS.filter(testPathAvailable))('crossEntropy on %s', (path) => {
  beforeAll(async () => {
    await useTestPath(path);
  });

  for (const inPlace of [true, false]) {
    it(`value and gradient match float64 and finite differences (${inPlace ? 'in-place' : 'scatter'} gradient)`, async () => {
      const [rows, classes] = [7, 11];
      const random = rng(21);
      const x = randomArray(rows * classes, random).map((v) => 3 * v);
      const labels = [3, -100, 0, 10, 5, -1, 3];
      const before = tf.memory().numTensors;
      const xt = tensorOf(x, [rows, classes]);
      const [value] = await readAll([crossEntropy(xt, labels, { inPlace })]);
      const [grad] = await readAll([
        tf.grad((l: tf.Tensor) => tf.mul(crossEntropy(l, labels, { inPlace }), 2.5))(xt),
      ]);
      xt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const ref = refCrossEntropy(x, rows, classes, labels);
      expect(Math.abs(value![0]! - ref) / ref).toBeLessThan(1e-5);
      const [fd] = finiteDifferences(([p]) => 2.5 * refCrossEntropy(p!, rows, classes, labels), [x], 1e-4);
      expect(relativeError(grad!, fd!)).toBeLessThan(1e-4);
      // ignored rows get no gradient
      expect(Array.from(grad!.subarray(1 * classes, 2 * classes)).every((v) => v === 0)).toBe(true);
    });
  }

  it('matches tfjs logSoftmax + gather (value and gradient, 1e-5)', async () => {
    const [rows, classes] = [16, 300];
    const random = rng(4);
    const x = tensorOf(
      randomArray(rows * classes, random).map((v) => 5 * v),
      [rows, classes],
    );
    const labels = Array.from({ length: rows }, (_, r) => (r * 37) % classes);
    const own = (l: tf.Tensor) =>
      tf.neg(
        tf.mean(
          tf.gather(
            tf.reshape(tf.logSoftmax(l), [-1]),
            labels.map((c, r) => r * classes + c),
          ),
        ),
      );
    const [a, b] = await readAll([crossEntropy(x, labels), own(x)]);
    expect(Math.abs(a![0]! - b![0]!) / Math.abs(b![0]!)).toBeLessThan(1e-5);
    const [ga, gb] = await readAll([tf.grad((l: tf.Tensor) => crossEntropy(l, labels))(x), tf.grad(own)(x)]);
    expect(relativeError(ga!, gb!)).toBeLessThan(1e-5);
    x.dispose();
  });

  it('stays finite and exact when a row is far from uniform (logit gaps of 300)', async () => {
    const x = tf.tensor2d([
      [300, 0, -10],
      [0, 300, 0],
    ]);
    const [v] = await readAll([crossEntropy(x, [1, 1])]);
    expect(v![0]! / 150).toBeCloseTo(1, 6); // (300 + 0) / 2
    const [g] = await readAll([tf.grad((l: tf.Tensor) => crossEntropy(l, [1, 1]))(x)]);
    expect(Array.from(g!).map((n) => Math.round(n * 1e6) / 1e6)).toEqual([0.5, -0.5, 0, 0, 0, 0]);
    x.dispose();
  });

  it('rejects bad labels naming the row and value', () => {
    const x = tf.zeros([2, 3]);
    expect(() => crossEntropy(x, [0, 3])).toThrow(/labels\[1\] is 3; expected -100 or an id in \[0, 3\)/);
    expect(() => crossEntropy(x, [-100, -100])).toThrow(/every label is ignored/);
    expect(() => crossEntropy(x, [0])).toThrow(/1 labels for 2 rows/);
    x.dispose();
  });
});
