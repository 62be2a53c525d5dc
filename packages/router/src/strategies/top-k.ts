import * as tf from '@tensorflow/tfjs-core';
import { kthLargest } from '../kth-largest.js';
import type { RouterStrategy } from '../types.js';
import { requireLogits } from './dense.js';

/**
 * Keep the k largest gate probabilities per token and renormalise them to sum to 1
 * (equivalently: softmax over the k largest logits). With k = N this equals `dense`.
 */
export const topKRouter: RouterStrategy = {
  name: 'top-k',
  description: 'softmax restricted to the k largest logits per token (renormalised)',
  usesGate: true,
  granularity: 'token',
  selectsTopK: true,
  weights(args) {
    const logits = requireLogits(args, 'top-k');
    const k = args.topK;
    if (!Number.isInteger(k) || k < 1 || k > args.numHeads) {
      throw new Error(`router 'top-k': router_top_k must be an integer in [1, ${args.numHeads}], got ${k}`);
    }
    if (k === args.numHeads) return tf.softmax(logits) as tf.Tensor2D;
    // Logits below the k-th largest get -inf-like values; ties at the threshold are all kept.
    const keep = tf.greaterEqual(logits, kthLargest(logits, k));
    const masked = tf.where(keep, logits, tf.fill(logits.shape, -1e9));
    return tf.softmax(masked) as tf.Tensor2D;
  },
};
