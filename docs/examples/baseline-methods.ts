/**
 * The two baselines that are not B·A updates, from code: (IA)³ with PEFT's LLaMA targets, and
 * full fine-tuning. `model` is any model that names its linear layers as Hugging Face does (a
 * `LlamaForCausalLM` from @hydralora/models); full fine-tuning also needs its `parameters()` and
 * `setTrainable()` hooks.
 */
import { type AdaptableModel, injectAdapters, saveAdapter } from '@hydralora/core-adapters';

export async function addIa3(model: AdaptableModel, dir: string) {
  const adapters = injectAdapters(model, {
    method: 'ia3',
    target_modules: ['k_proj', 'v_proj', 'down_proj'],
    feedforward_modules: ['down_proj'], // input scaled; k_proj and v_proj scale their output
  });
  const { trainable, percent } = adapters.parameterCount();
  await saveAdapter(adapters, dir); // adapter_config.json (peft_type IA3) + adapter_model.safetensors
  return { adapters, trainable, percent };
}

export async function addFullFineTuning(model: AdaptableModel, dir: string) {
  const full = injectAdapters(model, { method: 'full', target_modules: 'all-linear' });
  const variables = full.trainableVariables(); // every weight of the model, for your own loop
  const { percent } = full.parameterCount(); // 100
  await saveAdapter(full, dir); // adapter_config.json (peft_type FULL) + model.safetensors
  return { adapters: full, variables, percent };
}
