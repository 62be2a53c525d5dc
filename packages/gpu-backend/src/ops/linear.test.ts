import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  finiteDifferences,
  randomArray,
  refLoss,
  refMatMul,
  relativeError,
  rng,
} from '../testing/reference.js';
import {
  kernelNames,
  readAll,
  TEST_PATHS,
  tensorOf,
  testPathAvailable,
  tfLoss,
  useTestPath,
} from '../testing/tf-helpers.js';
import { linear } from './linear.js';

const X_SHAPE = [2, 3, 4];
const IN = 4;
const OUT = 5;
const TOKENS = 6;

/** float64 reference of Σ r⊙(x·W + b) + ½ Σ (x·W + b)² */
function refLinearLoss([x, w, b]: Float64Array[], r: Float64Array): number {
  const y = refMatMul(x!, [TOKENS, IN], w!, [IN, OUT]).data;
  if (b) for (let i = 0; i < y.length; i++) y[i]! += b[i % OUT]!;
  return refLoss(y, r);
}

describe.each(TEST_PATHS.filter(testPathAvailable))('linear on %s', (path) => {
  beforeAll(async () => {
    await useTestPath(path);
  });

  const random = rng(7);
  const x = randomArray(TOKENS * IN, random);
  const w = randomArray(IN * OUT, random);
  const b = randomArray(OUT, random);
  const r = randomArray(TOKENS * OUT, random);

  for (const withBias of [true, false]) {
    it(`value and gradients ${withBias ? 'with' : 'without'} bias match tfjs ops and finite differences`, async () => {
      const before = tf.memory().numTensors;
      const xt = tensorOf(x, X_SHAPE);
      const wt = tensorOf(w, [IN, OUT]);
      const bt = tensorOf(b, [OUT]);
      const rt = tensorOf(r, [2, 3, OUT]);
      const inputs = withBias ? [xt, wt, bt] : [xt, wt];
      const fast = (...t: tf.Tensor[]) => linear(t[0]!, t[1]!, t[2]);
      const own = (...t: tf.Tensor[]) => {
        const y = tf.matMul(tf.reshape(t[0]!, [TOKENS, IN]) as tf.Tensor2D, t[1] as tf.Tensor2D);
        return tf.reshape(t[2] ? tf.add(y, t[2]) : y, [2, 3, OUT]);
      };
      const [yFast, yOwn] = await readAll([tf.tidy(() => fast(...inputs)), tf.tidy(() => own(...inputs))]);
      const gFast = await readAll(tf.grads((...t: tf.Tensor[]) => tfLoss(fast(...t), rt))(inputs));
      const gOwn = await readAll(tf.grads((...t: tf.Tensor[]) => tfLoss(own(...t), rt))(inputs));
      tf.dispose([xt, wt, bt, rt]);
      expect(tf.memory().numTensors).toBe(before);

      const params = withBias ? [x, w, b] : [x, w];
      const yRef = refMatMul(x, [TOKENS, IN], w, [IN, OUT]).data.map(
        (v, i) => v + (withBias ? b[i % OUT]! : 0),
      );
      expect(relativeError(yFast!, yRef)).toBeLessThan(1e-5);
      expect(relativeError(yFast!, yOwn!)).toBeLessThan(1e-5);
      const fd = finiteDifferences((p) => refLinearLoss(p, r), params);
      expect(gFast).toHaveLength(params.length);
      for (let i = 0; i < params.length; i++) {
        expect(relativeError(gFast[i]!, fd[i]!)).toBeLessThan(1e-4);
        expect(relativeError(gFast[i]!, gOwn[i]!)).toBeLessThan(1e-5);
      }
    });
  }

  it('frozen weight: dx and db match finite differences and no dW product runs', async () => {
    const before = tf.memory().numTensors;
    const xt = tensorOf(x, X_SHAPE);
    const w0 = tensorOf(w, [IN, OUT]);
    const wv = tf.variable(w0, false, `frozen-${path}`);
    w0.dispose();
    const bt = tensorOf(b, [OUT]);
    const rt = tensorOf(r, [2, 3, OUT]);
    const lossOf = (xi: tf.Tensor, bi: tf.Tensor) => tfLoss(linear(xi, wv, bi), rt);
    const grads = await readAll(tf.grads(lossOf)([xt, bt]));
    const fd = finiteDifferences((p) => refLinearLoss([p[0]!, w, p[1]!], r), [x, b]);
    expect(relativeError(grads[0]!, fd[0]!)).toBeLessThan(1e-4);
    expect(relativeError(grads[1]!, fd[1]!)).toBeLessThan(1e-4);

    // The frozen weight is not an input of the op: asking for its gradient is an error …
    expect(() => tf.grads((wi: tf.Tensor) => tfLoss(linear(xt, wv, bt), wi))([wv])).toThrow();
    // … and the backward pass runs one product (dx) instead of two (dx and dW).
    const count = async (weightGrad: boolean) =>
      (
        await kernelNames(() =>
          tf.grads((xi: tf.Tensor) => tfLoss(linear(xi, wv, bt, { weightGrad }), rt))([xt]),
        )
      ).filter((k) => /^(_Fused)?(Batch)?MatMul$/.test(k)).length;
    expect(await count(false)).toBe(2); // forward + dx
    expect(await count(true)).toBe(3); // forward + dx + dW
    tf.dispose([xt, bt, rt]);
    wv.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched shapes with the shapes in the message', () => {
    const before = tf.memory().numTensors;
    const xt = tf.zeros([3, 4]);
    const wt = tf.zeros([5, 2]);
    expect(() => linear(xt, wt)).toThrow(/last axis is 4 but the weight expects 5/);
    expect(() => linear(xt, tf.zeros([4]))).toThrow(/weight must be 2-D/);
    tf.dispose([xt, wt]);
    tf.disposeVariables();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 1);
  });
});
