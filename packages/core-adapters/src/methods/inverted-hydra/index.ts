import { type AdapterMethod, ROUTER_KEYS } from '../types.js';

/**
 * The inverted asymmetry (as ALoRA proposes): N routed A's and one shared B,
 * y = W₀x + (α/r)·B·Σᵢ ωᵢ·Aᵢ·dropout(x) — to test the paper's Observation II.
 */
export const invertedHydraMethod: AdapterMethod = {
  name: 'inverted-hydra',
  peftType: 'HYDRALORA_INVERTED',
  description: 'inverted asymmetry: N routed A heads, one shared B',
  extraConfigKeys: ROUTER_KEYS,
  shape: (config) => ({
    numA: config.num_heads,
    numB: 1,
    numHeads: config.num_heads,
    weighting: 'router',
    headInit: 'zeros',
  }),
};
