/**
 * The hook prompt-learning adapters (prompt tuning, P-tuning, prefix tuning) plug into: N virtual
 * tokens placed before the first real token of every sequence, either as input embeddings (they
 * then run through every layer and attend causally among themselves) or as per-layer keys and
 * values (a prefix every real token attends to). Real tokens' positions start at N, as in PEFT,
 * the logits cover the real tokens only (so labels and loss need nothing special), and a KV cache
 * filled with virtual tokens remembers how many it holds.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelForwardContext } from './linear.js';

/** A prefix of one layer: [batch, numKeyValueHeads, N, headDim] each; keys are used as given (no rotary). */
export interface PrefixKeyValue {
  key: tf.Tensor;
  value: tf.Tensor;
}

/** What a prompt-learning adapter implements; exactly one of the two producers is present. */
export interface VirtualTokenAdapter {
  /** N, the number of virtual tokens (> 0). */
  readonly numVirtualTokens: number;
  /**
   * Prompt tuning / P-tuning: [batch, N, hidden] embeddings placed before the token embeddings.
   * Called inside the forward pass's tidy scope (`ctx.batchSize` is the batch).
   */
  inputEmbeddings?(ctx: ModelForwardContext): tf.Tensor;
  /** Prefix tuning: one {@link PrefixKeyValue} per decoder layer. Called inside the forward's tidy scope. */
  pastKeyValues?(ctx: ModelForwardContext): PrefixKeyValue[];
}

/** The sizes a prompt-learning adapter is built for (PEFT's token_dim, num_layers, …). */
export interface VirtualTokenGeometry {
  /** hidden_size: the width of an input embedding (PEFT's token_dim for prompt/P-tuning). */
  hiddenSize: number;
  numLayers: number;
  numAttentionHeads: number;
  /** Key/value heads (grouped-query attention): prefix keys and values have this many heads. */
  numKeyValueHeads: number;
  headDim: number;
}
