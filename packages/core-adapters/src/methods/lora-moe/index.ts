import { type AdapterMethod, ROUTER_KEYS } from '../types.js';

/** LoRA-MoE: N full LoRA pairs mixed by a gate (the paper's Table 3 baseline). */
export const loraMoeMethod: AdapterMethod = {
  name: 'lora-moe',
  peftType: 'LORA_MOE',
  description: 'LoRA-MoE: N routed A/B pairs',
  extraConfigKeys: ROUTER_KEYS,
  shape: (config) => ({
    numA: config.num_heads,
    numB: config.num_heads,
    numHeads: config.num_heads,
    weighting: 'router',
    headInit: 'zeros',
  }),
};
