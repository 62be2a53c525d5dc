import * as tf from '@tensorflow/tfjs-core';
import type { RouterStrategy } from '../types.js';

/** ω = 1/N for every head: the paper's "w/o gate" ablation (no trainable gate). */
export const uniformRouter: RouterStrategy = {
  name: 'uniform',
  description: "equal weights 1/N, no gate (the paper's 'w/o gate' ablation)",
  usesGate: false,
  granularity: 'token',
  constantWeights: (numHeads) => new Array<number>(numHeads).fill(1 / numHeads),
  weights: (args) => tf.fill([args.rows, args.numHeads], 1 / args.numHeads) as tf.Tensor2D,
};
