import type { AdapterMethod } from '../types.js';

/** LoRA: y = W₀x + (α/r)·B·A·dropout(x); A Kaiming-uniform, B zeros. Files are plain PEFT LoRA. */
export const loraMethod: AdapterMethod = {
  name: 'lora',
  peftType: 'LORA',
  description: 'LoRA (Hu et al.): one A/B pair per module',
  extraConfigKeys: [],
  shape: () => ({ numA: 1, numB: 1, numHeads: 1, weighting: 'none', headInit: 'zeros' }),
};
