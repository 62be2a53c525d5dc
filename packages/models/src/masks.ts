/**
 * Host-side construction of the attention bias (causal + padding), the per-token mask and the
 * position ids of one forward call, from a padding mask over past + current tokens.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Added to the scores of masked keys: large enough that exp() underflows to 0, yet finite. */
export const MASKED_SCORE = -1e9;

export interface Masks {
  /** [batch, seq, past + seq] additive bias: 0 where query t may attend to key j, else MASKED_SCORE. */
  bias: Float32Array;
  /** [batch, seq] 1 for real tokens of this call, 0 for padding. */
  tokenMask: Float32Array;
  /** [batch, seq] position ids. */
  positions: Int32Array;
}

export function buildMasks(
  batch: number,
  seq: number,
  past: number,
  attentionMask?: number[][] | tf.Tensor2D,
  positionIds?: number[][],
): Masks {
  const total = past + seq;
  const mask =
    attentionMask === undefined
      ? undefined
      : Array.isArray(attentionMask)
        ? attentionMask
        : (attentionMask.arraySync() as number[][]);
  if (mask) {
    if (mask.length !== batch || mask.some((row) => row.length !== total)) {
      throw new Error(
        `forward: attentionMask must be [${batch}, ${total}] (past ${past} + ${seq} new tokens), got [${mask.length}, ${mask[0]?.length}]`,
      );
    }
  }
  const bias = new Float32Array(batch * seq * total);
  const tokenMask = new Float32Array(batch * seq);
  const positions = new Int32Array(batch * seq);
  for (let b = 0; b < batch; b++) {
    const row = mask?.[b];
    let seen = 0;
    for (let j = 0; j < total; j++) {
      const real = row ? row[j] !== 0 : true;
      if (j >= past) {
        const t = j - past;
        tokenMask[b * seq + t] = real ? 1 : 0;
        // HF generate: position = number of real tokens before this one (padding gets 1)
        positions[b * seq + t] = real ? seen : 1;
      }
      if (real) seen++;
    }
    for (let t = 0; t < seq; t++) {
      const base = (b * seq + t) * total;
      for (let j = 0; j < total; j++) {
        const allowed = j <= past + t && (row ? row[j] !== 0 : true);
        bias[base + j] = allowed ? 0 : MASKED_SCORE;
      }
    }
  }
  if (positionIds) {
    if (positionIds.length !== batch || positionIds.some((r) => r.length !== seq)) {
      throw new Error(`forward: positionIds must be [${batch}, ${seq}]`);
    }
    positions.set(positionIds.flat());
  }
  return { bias, tokenMask, positions };
}
