/**
 * The three adapter forms of the concepts page, written directly with tfjs-core and the
 * `linear` product of @hydralora/gpu-backend (weights in the [in, out] layout).
 *
 *   LoRA:       y = x·W₀ + (α/r)·(x·A)·B
 *   HydraLoRA:  y = x·W₀ + (α/r)·Σᵢ ωᵢ·(x·A)·Bᵢ,   ω = softmax(x·W_g) per token
 *   fused:      Σᵢ ωᵢ·(x·A)·Bᵢ = (ω ⊗ x·A)·B_cat,  B_cat = [B₁; …; B_N]  (N·r × out)
 */
import { linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';

/** Frozen base weight and adapter tensors, all in the [in, out] layout. */
export interface LoraWeights {
  /** Base weight W₀ [in, out]. */
  w0: tf.Tensor2D;
  /** Down projection A [in, r] (shared by every head in HydraLoRA). */
  a: tf.Tensor2D;
  /** Scaling numerator α (the scale is α / r). */
  alpha: number;
}

/** Plain LoRA: y = x·W₀ + (α/r)·(x·A)·B for x [tokens, in] and B [r, out]. */
export function loraForward(x: tf.Tensor2D, weights: LoraWeights, b: tf.Tensor2D): tf.Tensor2D {
  const r = weights.a.shape[1];
  return tf.tidy(() =>
    tf.add(linear(x, weights.w0), tf.mul(linear(linear(x, weights.a), b), weights.alpha / r)),
  ) as tf.Tensor2D;
}

/** Router weights ω = softmax(x·W_g) per token, W_g [in, N] on the raw input (official code). */
export function routerWeights(x: tf.Tensor2D, wg: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.softmax(linear(x, wg))) as tf.Tensor2D;
}

/** HydraLoRA written as the sum over heads: one (x·A)·Bᵢ product per head. */
export function hydraForwardSum(
  x: tf.Tensor2D,
  weights: LoraWeights,
  heads: tf.Tensor2D[],
  wg: tf.Tensor2D,
): tf.Tensor2D {
  const r = weights.a.shape[1];
  return tf.tidy(() => {
    const omega = routerWeights(x, wg);
    const ax = linear(x, weights.a);
    let delta: tf.Tensor = tf.zerosLike(linear(x, weights.w0));
    heads.forEach((b, i) => {
      const wi = tf.slice(omega, [0, i], [-1, 1]);
      delta = tf.add(delta, tf.mul(wi, linear(ax, b)));
    });
    return tf.add(linear(x, weights.w0), tf.mul(delta, weights.alpha / r));
  }) as tf.Tensor2D;
}

/** HydraLoRA as one N·r-wide product: (ω ⊗ x·A)·B_cat, the form the library computes. */
export function hydraForwardFused(
  x: tf.Tensor2D,
  weights: LoraWeights,
  heads: tf.Tensor2D[],
  wg: tf.Tensor2D,
): tf.Tensor2D {
  const [tokens] = x.shape;
  const r = weights.a.shape[1];
  const n = heads.length;
  return tf.tidy(() => {
    const omega = routerWeights(x, wg); // [tokens, N]
    const ax = linear(x, weights.a); // [tokens, r]
    // ω ⊗ x·A: [tokens, N, 1] * [tokens, 1, r] → [tokens, N·r], head-major like B_cat's rows.
    const mixed = tf.reshape(tf.mul(tf.expandDims(omega, 2), tf.expandDims(ax, 1)), [tokens, n * r]);
    const bCat = tf.concat(heads, 0); // [N·r, out]
    return tf.add(linear(x, weights.w0), tf.mul(linear(mixed, bCat), weights.alpha / r));
  }) as tf.Tensor2D;
}

/** Trainable parameters of one adapted [in → out] linear (router included for Hydra). */
export function trainableParameters(
  method: 'lora' | 'hydra' | 'split',
  shape: { inDim: number; outDim: number; r: number; n?: number },
): number {
  const { inDim, outDim, r, n = 1 } = shape;
  if (method === 'lora') return r * (inDim + outDim);
  if (method === 'split') return n * r * (inDim + outDim);
  return r * inDim + n * r * outDim + n * inDim;
}
