/**
 * The two products of the hot path, behind one switch: gpu-backend's `linear`/`bmm` (NN-layout
 * forward and backward, the default) or tfjs's own `tf.matMul` with transpose flags and its
 * default gradients. The switch exists so that benchmarks and tests can build the very same
 * training step from tfjs's default ops and compare speed and values.
 */
import { bmm, linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';

/** Which implementation of the hot-path products the model uses. */
export type ProductOps = 'fast' | 'tfjs-default';

let current: ProductOps = 'fast';

/** Select the product implementation for subsequent forward passes (default 'fast'). */
export function setProductOps(ops: ProductOps): void {
  current = ops;
}

/** The product implementation in use. */
export function productOps(): ProductOps {
  return current;
}

/** x [..., in] · W [in, out] (+ b), or x · Wᵀ when `transposeWeight` (W is then [out, in]). */
export function linearProduct(
  x: tf.Tensor,
  w: tf.Tensor,
  bias: tf.Tensor | undefined,
  transposeWeight: boolean,
): tf.Tensor {
  if (current === 'fast') {
    return transposeWeight ? tf.tidy(() => linear(x, tf.transpose(w), bias)) : linear(x, w, bias);
  }
  return tf.tidy(() => {
    const inDim = x.shape[x.rank - 1] as number;
    const outDim = w.shape[transposeWeight ? 0 : 1] as number;
    let y = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, w as tf.Tensor2D, false, transposeWeight);
    if (bias) y = tf.add(y, bias);
    return tf.reshape(y, [...x.shape.slice(0, -1), outDim]);
  });
}

/** Batched a · b with optional transposes of the last two axes. */
export function batchedProduct(
  a: tf.Tensor,
  b: tf.Tensor,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): tf.Tensor {
  if (current === 'fast') return bmm(a, b, options);
  return tf.matMul(a, b, options.transposeA ?? false, options.transposeB ?? false);
}
