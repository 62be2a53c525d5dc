import type { AdapterConfig } from '../../config.js';
import { type AdapterMethod, PLAIN_SHAPE } from '../types.js';
import { FullFineTuning } from './module.js';

/** The file of a full fine-tune: which base it started from (PEFT has no such type: `FULL` is ours). */
function fullConfigJson(config: AdapterConfig): Record<string, unknown> {
  return {
    base_model_name_or_path: config.base_model_name_or_path,
    hydralora_method: 'full',
    peft_type: 'FULL',
    target_modules: config.target_modules,
    task_type: 'CAUSAL_LM',
  };
}

/**
 * Full fine-tuning: every weight of the model (embeddings, norms, every linear, the output head)
 * trains in place; %Param = 100. Saved as `model.safetensors` in the Hugging Face checkpoint's
 * own names and layout (`model.layers.0.mlp.up_proj.weight` [out, in]), next to an
 * adapter_config.json that names the method and the base. Not mergeable (nothing is apart from
 * the weights) and cannot be disabled (no copy of the base is kept). `target_modules` is not used.
 */
export const fullMethod: AdapterMethod = {
  name: 'full',
  peftType: 'FULL',
  description: 'full fine-tuning: every weight of the model trains',
  extraConfigKeys: [],
  shape: () => PLAIN_SHAPE,
  wholeModel: { create: (model, _config, source) => new FullFineTuning(model, source) },
  configJson: fullConfigJson,
  files: { weights: 'model.safetensors', prefix: '' },
  // every weight trains: no targets to choose, no dropout, no heads (no clustering step)
  defaults: { target_modules: 'all-linear', lora_dropout: 0, num_heads: 1 },
};
