import type { AdapterConfig } from '../../config.js';
import { matchesPattern } from '../../targeting.js';
import { type AdapterMethod, PLAIN_SHAPE } from '../types.js';
import { Ia3Layer } from './layer.js';

/** PEFT's defaults for LLaMA-family models (`TRANSFORMERS_MODELS_TO_IA3_*_MODULES_MAPPING`). */
export const IA3_LLAMA_DEFAULTS: { target_modules: string[]; feedforward_modules: string[] } = {
  target_modules: ['k_proj', 'v_proj', 'down_proj'],
  feedforward_modules: ['down_proj'],
};

/** PEFT's rule: listed feed-forward modules must be listed targets too. */
function checkFeedforward(config: AdapterConfig, source: string): void {
  const ff = config.feedforward_modules;
  const targets = config.target_modules;
  if (!Array.isArray(ff) || !Array.isArray(targets)) return;
  const stray = ff.filter((m) => !targets.includes(m));
  if (stray.length > 0) {
    throw new Error(
      `${source}: field 'feedforward_modules' = ${JSON.stringify(ff)} must be a subset of 'target_modules' = ${JSON.stringify(targets)} (not targeted: ${stray.join(', ')})`,
    );
  }
}

/** adapter_config.json with PEFT's IA3Config keys (PEFT loads it as `IA3`). */
function ia3ConfigJson(config: AdapterConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    auto_mapping: null,
    base_model_name_or_path: config.base_model_name_or_path,
    fan_in_fan_out: false,
    feedforward_modules: config.feedforward_modules,
    inference_mode: true,
    init_ia3_weights: config.init_ia3_weights,
    modules_to_save: null,
    peft_type: 'IA3',
    revision: null,
    target_modules: config.target_modules,
    task_type: 'CAUSAL_LM',
  };
  if (config.exclude_modules !== null) json.exclude_modules = config.exclude_modules;
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * (IA)³ (Liu et al., *Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than
 * In-Context Learning*, 2022): learned vectors that rescale k_proj's and v_proj's outputs and
 * down_proj's input, initialised to ones; mergeable (W ← W·diag(l) or diag(l)·W). Files are PEFT's
 * IA3 layout: `…k_proj.ia3_l` [out, 1], `…down_proj.ia3_l` [1, in].
 */
export const ia3Method: AdapterMethod = {
  name: 'ia3',
  peftType: 'IA3',
  description: '(IA)³: learned scaling of k, v and the feed-forward input',
  extraConfigKeys: ['feedforward_modules', 'init_ia3_weights'],
  shape: () => PLAIN_SHAPE,
  createLayer: ({ linear, adapterName, config, source }) => {
    checkFeedforward(config, source);
    const ff = config.feedforward_modules;
    const feedforward = ff !== null && matchesPattern(linear.name, ff, source, 'feedforward_modules');
    return new Ia3Layer({ linear, adapterName, config, feedforward });
  },
  configJson: ia3ConfigJson,
  // PEFT's LLaMA targets; no dropout and no heads (a trainer skips the clustering step)
  defaults: { ...IA3_LLAMA_DEFAULTS, lora_dropout: 0, num_heads: 1 },
};
