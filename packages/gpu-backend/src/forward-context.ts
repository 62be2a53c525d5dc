import type * as tf from '@tensorflow/tfjs-core';

/**
 * What a model passes down to every adapted linear layer (and its router) on one forward pass.
 * The one definition shared by @hydralora/models (which fills it), @hydralora/router and
 * @hydralora/core-adapters (which read it). Every field is optional so that a layer or a router
 * can be called on its own (in tests, or by a model that knows less); @hydralora/models always
 * sets `batchSize`, `seqLength` and `attentionMask`.
 */
export interface ForwardContext {
  /** Number of sequences in the batch. */
  batchSize?: number;
  /** Number of tokens per sequence in this call (1 per step when decoding with a KV cache). */
  seqLength?: number;
  /**
   * [batch, seqLength] float32, 1 for real tokens and 0 for padding, for the tokens of this call.
   * Owned by the forward pass: use it, never dispose it.
   */
  attentionMask?: tf.Tensor2D;
  /** One intrinsic-component (task/cluster) id per sample, length `batchSize`. */
  componentIds?: Int32Array;
  /** Training pass: dropout and auxiliary losses apply only when true. */
  training?: boolean;
  /**
   * Seed of this pass's dropout masks (each layer derives its own from it). With it, a training
   * step's masks depend only on (seed, step), so a resumed run repeats them exactly.
   */
  dropoutSeed?: number;
  /**
   * Collector of this pass's auxiliary losses (router losses, the split router's cross-entropy),
   * created by the model's forward pass when it is asked for them: routers and adapter layers
   * append theirs (training only), and the model returns their sum on its output
   * (e.g. `{ logits, auxLoss }`). Absent: none are computed.
   */
  auxLosses?: tf.Scalar[];
}
