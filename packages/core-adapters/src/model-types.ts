/**
 * The model contract adapters are injected into, as structural types (no dependency on
 * @hydralora/models): any model that lists its named linear layers can be adapted.
 */
import type { ForwardContext } from '@hydralora/router';
import type * as tf from '@tensorflow/tfjs-core';

export type { ForwardContext };

/** What a linear layer delegates to when an adapter is set on it. */
export interface LinearAdapter {
  /**
   * The adapted output for input x [..., in], given the frozen base output
   * base = x·W + b [..., out]. Runs in the caller's tidy scope.
   */
  forward(x: tf.Tensor, base: tf.Tensor, ctx: ForwardContext): tf.Tensor;
  /**
   * Optional: the input the base product sees ((IA)³'s feed-forward scaling x ⊙ l); `forward`
   * then receives this transformed input.
   */
  input?(x: tf.Tensor, ctx: ForwardContext): tf.Tensor;
}

/** A linear layer y = x·W + b with W [in, out] (frozen), which accepts one adapter. */
export interface Linear {
  /** Full dotted module name, Hugging Face style (`model.layers.0.self_attn.q_proj`). */
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [in, out], frozen (merging writes into it). */
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable | tf.Tensor;
  /** Install (or with null, remove) the adapter this layer calls on every forward. */
  setAdapter(adapter: LinearAdapter | null): void;
}

/** A model that exposes its linear layers by name. */
export interface AdaptableModel {
  namedLinears(): Map<string, Linear>;
  /**
   * Every weight by Hugging Face tensor name, linear weights in [in, out] layout (the transpose of
   * the checkpoint's): what full fine-tuning trains and saves.
   */
  parameters?(): Map<string, tf.Variable>;
  /** Make every weight trainable (or frozen again) in place: full fine-tuning's hook. */
  setTrainable?(trainable: boolean): void;
  /** Total parameters of the base model (for %Param); default: the sum over the linears. */
  numParameters?(): number;
  /** Name of the output head that `all-linear` skips (default: `lm_head`, `output` or `embed_out`). */
  outputHeadName?: string;
}
