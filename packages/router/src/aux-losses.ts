/**
 * Auxiliary router losses (all off by default, as in the official HydraLoRA code). Each takes
 * per-row tensors [T, N] and an optional row mask [T] (1 = count the row).
 */
import * as tf from '@tensorflow/tfjs-core';
import { topKMask } from './kth-largest.js';

/** Coefficients of the auxiliary losses; 0 (the default) switches a loss off. */
export interface AuxLossWeights {
  /** Switch/Mixtral load balance N·Σᵢ fᵢ·Pᵢ (fᵢ: share of rows whose top-k holds head i). */
  loadBalance?: number;
  /** LoRAMoE/Shazeer importance loss: cv² of Σ_rows ωᵢ (unbiased variance / mean²). */
  importance?: number;
  /** ST-MoE router z-loss: mean over rows of logsumexp(logits)². */
  zLoss?: number;
}

function rowMask(rows: number, mask?: tf.Tensor1D): tf.Tensor2D {
  return (mask ? tf.reshape(mask, [rows, 1]) : tf.ones([rows, 1])) as tf.Tensor2D;
}

/**
 * Switch-Transformer / Mixtral load-balancing loss: N·Σᵢ cᵢ·Pᵢ where cᵢ is the fraction of rows
 * that send head i into their top-k (no gradient) and Pᵢ the mean router probability of head i.
 * Equals k when the routing is perfectly uniform.
 */
export function loadBalanceLoss(probs: tf.Tensor2D, topK = 1, mask?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const [rows, n] = probs.shape;
    const m = rowMask(rows, mask);
    const count = tf.maximum(tf.sum(m), 1);
    const assigned = topKMask(probs, Math.min(topK, n)); // [T, N] 0/1, zero gradient
    const share = tf.div(tf.sum(tf.mul(assigned, m), 0), count);
    const meanProb = tf.div(tf.sum(tf.mul(probs, m), 0), count);
    return tf.mul(tf.sum(tf.mul(share, meanProb)), n) as tf.Scalar;
  });
}

/** Importance cv²: var(Σ_rows ω)/mean(Σ_rows ω)² with the unbiased variance; 0 for N = 1. */
export function importanceLoss(weights: tf.Tensor2D, mask?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const [rows, n] = weights.shape;
    if (n < 2) return tf.scalar(0);
    const importance = tf.sum(tf.mul(weights, rowMask(rows, mask)), 0);
    const mean = tf.mean(importance);
    const variance = tf.div(tf.sum(tf.square(tf.sub(importance, mean))), n - 1);
    return tf.div(variance, tf.add(tf.square(mean), 1e-10)) as tf.Scalar;
  });
}

/** Router z-loss: masked mean over rows of logsumexp(logits)². */
export function routerZLoss(logits: tf.Tensor2D, mask?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const [rows] = logits.shape;
    const m = tf.reshape(rowMask(rows, mask), [rows]);
    const lse = tf.logSumExp(logits, 1);
    return tf.div(tf.sum(tf.mul(tf.square(lse), m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

/** Whether any coefficient is non-zero. */
export function auxLossesEnabled(weights: AuxLossWeights | undefined): boolean {
  return (
    !!weights && ((weights.loadBalance ?? 0) > 0 || (weights.importance ?? 0) > 0 || (weights.zLoss ?? 0) > 0)
  );
}

/**
 * The weighted total of the enabled losses. `logits` may be null for gate-less strategies, in
 * which case only the importance loss (on ω) can apply.
 */
export function auxLossTotal(
  weights: AuxLossWeights,
  routed: { logits: tf.Tensor2D | null; weights: tf.Tensor2D; topK: number; mask?: tf.Tensor1D },
): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    const { logits, mask } = routed;
    if ((weights.loadBalance ?? 0) > 0 && logits) {
      const lb = loadBalanceLoss(tf.softmax(logits) as tf.Tensor2D, routed.topK, mask);
      total = tf.add(total, tf.mul(lb, weights.loadBalance ?? 0));
    }
    if ((weights.importance ?? 0) > 0) {
      total = tf.add(total, tf.mul(importanceLoss(routed.weights, mask), weights.importance ?? 0));
    }
    if ((weights.zLoss ?? 0) > 0 && logits) {
      total = tf.add(total, tf.mul(routerZLoss(logits, mask), weights.zLoss ?? 0));
    }
    return total;
  });
}
