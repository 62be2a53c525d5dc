import { type AdapterMethod, ROUTER_KEYS } from '../types.js';

/**
 * HydraLoRA (Tian et al., NeurIPS 2024): one shared A, N heads B₁…B_N and a gate:
 * y = W₀x + (α/r)·Σᵢ ωᵢ·Bᵢ·A·dropout(x), ω = router(x). Init as the official code: A and gate
 * Kaiming-uniform, every B zero.
 */
export const hydraMethod: AdapterMethod = {
  name: 'hydra',
  peftType: 'HYDRALORA',
  description: 'HydraLoRA: shared A, N routed B heads',
  extraConfigKeys: ROUTER_KEYS,
  shape: (config) => ({
    numA: 1,
    numB: config.num_heads,
    numHeads: config.num_heads,
    weighting: 'router',
    headInit: 'zeros',
  }),
};
