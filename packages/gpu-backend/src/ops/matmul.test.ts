import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  finiteDifferences,
  randomArray,
  refLoss,
  refMatMul,
  relativeError,
  rng,
} from '../testing/reference.js';
import {
  readAll,
  TEST_PATHS,
  tensorOf,
  testPathAvailable,
  tfLoss,
  useTestPath,
} from '../testing/tf-helpers.js';
import { setProductStrategy } from './layout.js';
import { bmm, matMul } from './matmul.js';

const COMBOS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** Operand shapes for op(a)·op(b) = [..., m, k]·[..., k, n]. */
function shapes(lead: number[], m: number, k: number, n: number, tA: boolean, tB: boolean) {
  return { a: [...lead, ...(tA ? [k, m] : [m, k])], b: [...lead, ...(tB ? [n, k] : [k, n])] };
}

/**
 * Checks value and both gradients of `fast` against tfjs's own batched matMul (with its default
 * gradients) and against float64 finite differences of the plain-JS product.
 */
async function check(
  fast: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  lead: number[],
  tA: boolean,
  tB: boolean,
  seed: number,
): Promise<void> {
  const [m, k, n] = [3, 4, 5];
  const s = shapes(lead, m, k, n, tA, tB);
  const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
  const random = rng(seed);
  const a = randomArray(size(s.a), random);
  const b = randomArray(size(s.b), random);
  const outShape = [...lead, m, n];
  const r = randomArray(size(outShape), random);

  const before = tf.memory().numTensors;
  const at = tensorOf(a, s.a);
  const bt = tensorOf(b, s.b);
  const rt = tensorOf(r, outShape);
  const own = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, tA, tB);
  const [yFast, yOwn] = await readAll([tf.tidy(() => fast(at, bt)), tf.tidy(() => own(at, bt))]);
  const gFast = await readAll(tf.grads((x: tf.Tensor, y: tf.Tensor) => tfLoss(fast(x, y), rt))([at, bt]));
  const gOwn = await readAll(tf.grads((x: tf.Tensor, y: tf.Tensor) => tfLoss(own(x, y), rt))([at, bt]));
  tf.dispose([at, bt, rt]);
  expect(tf.memory().numTensors).toBe(before);

  const ref = refMatMul(a, s.a, b, s.b, tA, tB);
  expect(ref.shape).toEqual(outShape);
  expect(relativeError(yFast!, ref.data)).toBeLessThan(1e-5);
  expect(relativeError(yFast!, yOwn!)).toBeLessThan(1e-5);
  const fd = finiteDifferences(([pa, pb]) => refLoss(refMatMul(pa!, s.a, pb!, s.b, tA, tB).data, r), [a, b]);
  for (let i = 0; i < 2; i++) {
    expect(relativeError(gFast[i]!, fd[i]!)).toBeLessThan(1e-4);
    expect(relativeError(gFast[i]!, gOwn[i]!)).toBeLessThan(1e-5);
  }
}

describe.each(TEST_PATHS.filter(testPathAvailable))('products on %s', (path) => {
  beforeAll(async () => {
    await useTestPath(path);
  });
  afterEach(() => setProductStrategy(undefined));

  for (const [tA, tB] of COMBOS) {
    it(`matMul transposeA=${tA} transposeB=${tB}`, async () => {
      await check(
        (x, y) => matMul(x as tf.Tensor2D, y as tf.Tensor2D, { transposeA: tA, transposeB: tB }),
        [],
        tA,
        tB,
        11,
      );
    });
    it(`bmm [2, m, k] transposeA=${tA} transposeB=${tB}`, async () => {
      await check((x, y) => bmm(x, y, { transposeA: tA, transposeB: tB }), [2], tA, tB, 12);
    });
    it(`bmm with two leading axes [2, 3, m, k] transposeA=${tA} transposeB=${tB}`, async () => {
      await check((x, y) => bmm(x, y, { transposeA: tA, transposeB: tB }), [2, 3], tA, tB, 13);
    });
  }

  it('the native strategy (flags passed through, as on tensorflow/webgpu) gives the same results', async () => {
    setProductStrategy('native');
    await check(
      (x, y) => matMul(x as tf.Tensor2D, y as tf.Tensor2D, { transposeA: true, transposeB: true }),
      [],
      true,
      true,
      14,
    );
    await check((x, y) => bmm(x, y, { transposeB: true }), [2, 2], false, true, 15);
  });

  it('bmm rejects mismatched operands with their shapes', () => {
    const before = tf.memory().numTensors;
    const x = tf.zeros([2, 3, 4]);
    const y = tf.zeros([2, 5, 6]);
    const z = tf.zeros([3, 4]);
    expect(() => bmm(x, y)).toThrow(/inner dimensions differ: \[2,3,4\] · \[2,5,6\]/);
    expect(() => bmm(x, z)).toThrow(/equal rank ≥ 3/);
    tf.dispose([x, y, z]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
