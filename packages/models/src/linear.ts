/**
 * A linear layer reachable by its Hugging Face name, with a replaceable adapter hook.
 *
 * The base product runs through gpu-backend's `linear` (weight in [in, out] layout, NN-layout
 * gradients). A frozen weight is a non-trainable `tf.Variable`, for which no weight gradient is
 * computed. An adapter package wraps a layer with `setAdapter`: it receives the input, the base
 * output and the per-call context, and returns the layer's output.
 */

import type { ForwardContext } from '@hydralora/gpu-backend';
import type * as tf from '@tensorflow/tfjs-core';
import { linearProduct } from './products.js';

/** The forward pass's context (defined once in @hydralora/gpu-backend), re-exported for adapters. */
export type { ForwardContext };

/** The context as this model fills it: batch size, sequence length and mask are always set. */
export type ModelForwardContext = ForwardContext &
  Required<Pick<ForwardContext, 'batchSize' | 'seqLength' | 'attentionMask'>>;

/** What an adapter implements to wrap a `Linear`. */
export interface LinearAdapter {
  /**
   * Return the layer's output for input `x` [..., inFeatures], given `base` = x·W (+ b)
   * [..., outFeatures] already computed by the frozen layer. Typically `base + Δ(x)`.
   */
  forward(x: tf.Tensor, base: tf.Tensor, ctx: ModelForwardContext): tf.Tensor;
  /**
   * Optional: the input the base product sees, for adapters that act on a layer's input
   * ((IA)³'s feed-forward scaling x ⊙ l). `forward` then receives this transformed input.
   */
  input?(x: tf.Tensor, ctx: ModelForwardContext): tf.Tensor;
}

/** A linear layer y = x·W + b with W in [in, out] layout and an optional adapter hook. */
export class Linear {
  /** Input width. */
  readonly inFeatures: number;
  /** Output width. */
  readonly outFeatures: number;
  private adapterHook: LinearAdapter | null = null;

  /**
   * @param name Hugging Face module name, e.g. `model.layers.0.self_attn.q_proj`.
   * @param weight [in, out] variable (frozen unless the model was created trainable). When
   *   `tiedTranspose` is true the weight is instead a shared [out, in] matrix (the token embedding
   *   of a tied `lm_head` in a trainable model), transposed on every call.
   * @param bias Optional [out] variable.
   */
  constructor(
    readonly name: string,
    readonly weight: tf.Variable,
    readonly bias?: tf.Variable,
    readonly tiedTranspose = false,
  ) {
    const [a, b] = weight.shape as [number, number];
    this.inFeatures = tiedTranspose ? b : a;
    this.outFeatures = tiedTranspose ? a : b;
  }

  /** The adapter currently wrapping this layer, or null. */
  get adapter(): LinearAdapter | null {
    return this.adapterHook;
  }

  /** Wrap this layer with `adapter` (replacing any previous one), or unwrap it with null. */
  setAdapter(adapter: LinearAdapter | null): void {
    this.adapterHook = adapter;
  }

  /** The frozen (or trainable) base product only, without the adapter. */
  base(x: tf.Tensor): tf.Tensor {
    return linearProduct(x, this.weight, this.bias, this.tiedTranspose);
  }

  /** The adapter's input transform (if any), the base product, then the adapter. */
  forward(x: tf.Tensor, ctx: ModelForwardContext): tf.Tensor {
    const hook = this.adapterHook;
    if (!hook) return this.base(x);
    const input = hook.input ? hook.input(x, ctx) : x;
    return hook.forward(input, this.base(input), ctx);
  }
}
