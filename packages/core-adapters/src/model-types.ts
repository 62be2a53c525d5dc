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

/** One layer's virtual keys and values, [batch, numKeyValueHeads, N, headDim] each (keys not rotated). */
export interface PrefixKeyValue {
  key: tf.Tensor;
  value: tf.Tensor;
}

/**
 * What a prompt-learning adapter gives the model (the structural twin of @hydralora/models'
 * `VirtualTokenAdapter`): N virtual tokens before every sequence, as input embeddings or as
 * per-layer key/value prefixes. Both producers run inside the model's forward tidy scope.
 */
export interface VirtualTokenAdapter {
  readonly numVirtualTokens: number;
  /** [batch, N, hidden] (prompt tuning, P-tuning); `ctx.batchSize` is set. */
  inputEmbeddings?(ctx: ForwardContext): tf.Tensor;
  /** One prefix per decoder layer (prefix tuning); `ctx.batchSize` is set. */
  pastKeyValues?(ctx: ForwardContext): PrefixKeyValue[];
}

/** The sizes of the model a prompt-learning adapter is built for. */
export interface VirtualTokenGeometry {
  hiddenSize: number;
  numLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
}

/** A model that exposes its linear layers by name (and optionally the virtual-token hook). */
export interface AdaptableModel {
  namedLinears(): Map<string, Linear>;
  /**
   * Every weight by Hugging Face tensor name, linear weights in [in, out] layout (the transpose of
   * the checkpoint's): what full fine-tuning trains and saves.
   */
  parameters?(): Map<string, tf.Variable>;
  /** Make every weight trainable (or frozen again) in place: full fine-tuning's hook. */
  setTrainable?(trainable: boolean): void;
  /** The prompt-learning hook: install (or with null, remove) the virtual tokens of every forward. */
  setVirtualTokens?(adapter: VirtualTokenAdapter | null): void;
  /** The sizes prompt-learning adapters need; present with `setVirtualTokens`. */
  virtualTokenGeometry?(): VirtualTokenGeometry;
  /** Token embedding [vocab, hidden] (prompt tuning's TEXT initialisation reads it). */
  readonly embedTokens?: tf.Tensor;
  /** Total parameters of the base model (for %Param); default: the sum over the linears. */
  numParameters?(): number;
  /** Name of the output head that `all-linear` skips (default: `lm_head`, `output` or `embed_out`). */
  outputHeadName?: string;
}
