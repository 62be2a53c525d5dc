import { type AdapterMethod, ROUTER_KEYS } from '../types.js';

/**
 * HydraLoRA with head-diversity initialisation (after R-LoRA's argument that zero-initialised
 * heads stay alike): B heads random, centred so that Σᵢ Bᵢ = 0 (see diverseHeads).
 */
export const hydraDiverseMethod: AdapterMethod = {
  name: 'hydra-diverse',
  peftType: 'HYDRALORA_DIVERSE',
  description: 'HydraLoRA with random, centred B heads (head-diversity init)',
  extraConfigKeys: [...ROUTER_KEYS, 'head_init_scale'],
  shape: (config) => ({
    numA: 1,
    numB: config.num_heads,
    numHeads: config.num_heads,
    weighting: 'router',
    headInit: 'diverse',
  }),
};
