import * as tf from '@tensorflow/tfjs-core';
import type { RouterStrategy } from '../types.js';

/** One-hot ω from the sample's given component id (LoRAMoE-style training with known labels). */
export const taskConditionedRouter: RouterStrategy = {
  name: 'task',
  description: 'one-hot weights from the given component id of each sample (no gate)',
  usesGate: false,
  granularity: 'sample',
  weights(args) {
    const ids = args.componentIds;
    if (!ids) throw new Error("router 'task': ForwardContext.componentIds is required but was not given");
    if (ids.length !== args.rows) {
      throw new Error(
        `router 'task': componentIds has ${ids.length} entries, expected one per sample (${args.rows})`,
      );
    }
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= args.numHeads) {
        throw new Error(
          `router 'task': componentIds contains ${id}, expected an integer in [0, ${args.numHeads})`,
        );
      }
    }
    // tf.oneHot refuses depth 1; a single head always gets weight 1.
    if (args.numHeads === 1) return tf.ones([args.rows, 1]) as tf.Tensor2D;
    return tf.cast(tf.oneHot(tf.tensor1d(ids, 'int32'), args.numHeads), 'float32') as tf.Tensor2D;
  },
};
