import type { AdapterMethod } from '../types.js';

/**
 * LoRA-Split: n = num_heads independent LoRAs of rank r, one per intrinsic component, hard-routed
 * by `ForwardContext.componentIds` (training and inference), or at inference by a
 * ComponentInferrer (e.g. nearestCentroidInferrer) or, with `split_router`, a learned
 * sample-level router trained by cross-entropy to the given ids. Not to be confused with n heads summed
 * without routing, which is exactly one LoRA of rank n·r.
 */
export const splitMethod: AdapterMethod = {
  name: 'split',
  peftType: 'LORA_SPLIT',
  description: 'LoRA-Split: one LoRA per intrinsic component, hard-routed by component id',
  extraConfigKeys: ['num_heads', 'split_router'],
  shape: (config) => ({
    numA: config.num_heads,
    numB: config.num_heads,
    numHeads: config.num_heads,
    weighting: 'component',
    headInit: 'zeros',
  }),
};
