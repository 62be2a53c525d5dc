import * as tf from '@tensorflow/tfjs-core';
import type { RouterStrategy } from '../types.js';
import { requireLogits } from './dense.js';

/**
 * One ω per sample: softmax of the gate applied to the mask-aware mean of the features over the
 * sequence. Because ω is constant within a sample, Σᵢ ωᵢBᵢ can be merged into the base weight
 * for that sample.
 */
export const sampleLevelRouter: RouterStrategy = {
  name: 'sample',
  description: 'softmax of the gate on the masked mean over the sequence: one ω per sample (mergeable)',
  usesGate: true,
  granularity: 'sample',
  weights: (args) => tf.softmax(requireLogits(args, 'sample')) as tf.Tensor2D,
};
