import type * as tf from '@tensorflow/tfjs-core';

/** The forward pass's context, defined once in @hydralora/gpu-backend. */
export type { ForwardContext } from '@hydralora/gpu-backend';

/** What a strategy receives to compute mixing weights for `rows` rows (tokens or samples). */
export interface RouteArgs {
  /** Gate output W_g·features, [rows, N]; null for strategies that use no gate. */
  logits: tf.Tensor2D | null;
  /** Number of heads N. */
  numHeads: number;
  /** Number of rows (tokens for token-level strategies, samples for sample-level ones). */
  rows: number;
  /** k of top-k routing (ignored by other strategies). */
  topK: number;
  /** One component id per row, for sample-level strategies that need it. */
  componentIds?: Int32Array;
}

/**
 * A routing strategy: turns gate logits (or a given component) into mixing weights ω [rows, N]
 * whose rows sum to 1. Strategies are stateless objects kept in a {@link RouterRegistry}.
 */
export interface RouterStrategy {
  /** Registry key, e.g. `dense`. */
  readonly name: string;
  /** One line for docs and `--help`. */
  readonly description: string;
  /** Whether the strategy reads a trainable gate W_g (otherwise no gate is created). */
  readonly usesGate: boolean;
  /**
   * `token`: one ω per token. `sample`: one ω per sample, from the mask-aware mean of the
   * features over the sequence (or from the sample's component id), broadcast to its tokens.
   */
  readonly granularity: 'token' | 'sample';
  /** Whether each row keeps only its top k heads (the load-balance loss then counts k picks per row). */
  readonly selectsTopK?: boolean;
  /** ω when it never depends on the input (e.g. uniform 1/N): merge and export use it as the default. */
  constantWeights?(numHeads: number): number[];
  /** ω [rows, N]. Called inside the caller's tidy scope. */
  weights(args: RouteArgs): tf.Tensor2D;
}
