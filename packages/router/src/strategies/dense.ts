import { fusedSoftmax } from '@hydralora/gpu-backend';
import type * as tf from '@tensorflow/tfjs-core';
import type { RouteArgs, RouterStrategy } from '../types.js';

export function requireLogits(args: RouteArgs, strategy: string): tf.Tensor2D {
  if (!args.logits) throw new Error(`router '${strategy}': needs gate logits but got none`);
  return args.logits;
}

/** ω = softmax(W_g·x) per token: the official HydraLoRA gate. */
export const denseRouter: RouterStrategy = {
  name: 'dense',
  description: 'softmax over all heads per token (official HydraLoRA)',
  usesGate: true,
  granularity: 'token',
  // fusedSoftmax: tfjs's Softmax with a one-kernel backward on wasm and cpu
  weights: (args) => fusedSoftmax(requireLogits(args, 'dense')) as tf.Tensor2D,
};
