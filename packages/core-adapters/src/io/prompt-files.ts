/**
 * PEFT's files for the prompt-learning methods (PROMPT_TUNING, P_TUNING, PREFIX_TUNING):
 *   adapter_config.json        PromptLearningConfig keys (num_virtual_tokens, token_dim, num_layers,
 *                              num_attention_heads, num_transformer_submodules, task_type, …) and
 *                              the method's own (prompt_tuning_init, encoder_*, prefix_projection)
 *   adapter_model.safetensors  one tensor, `prompt_embeddings` [N, token_dim] — for prefix tuning
 *                              [N, num_layers·2·token_dim] — the produced tokens (encoders are not saved)
 */
import type { AdapterConfig } from '../config.js';
import type { AdapterMethod } from '../methods/types.js';
import type { VirtualTokenGeometry } from '../model-types.js';
import type { VirtualTokenModule } from '../prompt/module.js';
import type { HostTensor } from './safetensors.js';

/** The one tensor of a prompt-learning adapter file. */
export const PROMPT_EMBEDDINGS = 'prompt_embeddings';

/** PromptLearningConfig keys that describe the model (written; read and not needed). */
export const PROMPT_GEOMETRY_KEYS = [
  'num_attention_heads',
  'num_layers',
  'num_transformer_submodules',
  'token_dim',
  'tokenizer_kwargs',
  'tokenizer_name_or_path',
] as const;

/** adapter_config.json of a prompt-learning adapter, keys sorted. */
export function promptConfigJson(
  config: AdapterConfig,
  method: AdapterMethod,
  geometry: VirtualTokenGeometry,
): Record<string, unknown> {
  const virtual = method.virtualTokens!;
  const { tokenDim, numAttentionHeads } = virtual.peftGeometry(geometry);
  const json: Record<string, unknown> = {
    auto_mapping: null,
    base_model_name_or_path: config.base_model_name_or_path,
    inference_mode: true,
    modules_to_save: null,
    num_attention_heads: numAttentionHeads,
    num_layers: geometry.numLayers,
    num_transformer_submodules: 1,
    num_virtual_tokens: config.num_virtual_tokens,
    peft_type: method.peftType,
    revision: null,
    task_type: 'CAUSAL_LM',
    token_dim: tokenDim,
  };
  for (const key of virtual.configKeys) json[key] = config[key];
  if ('encoder_hidden_size' in json) json.encoder_hidden_size = config.encoder_hidden_size ?? tokenDim;
  if (method.peftType === 'PROMPT_TUNING') {
    json.tokenizer_name_or_path = null;
    json.tokenizer_kwargs = null;
  }
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => a.localeCompare(b)));
}

/** Assign `prompt_embeddings` to a module; errors name the file and the tensor; others warn. */
export function loadPromptTensors(
  module: VirtualTokenModule,
  tensors: Record<string, HostTensor>,
  file: string,
  warn: (message: string) => void,
): void {
  const found = tensors[PROMPT_EMBEDDINGS];
  if (!found) throw new Error(`${file}: missing tensors: ${PROMPT_EMBEDDINGS}`);
  module.loadEmbeddings(found, file);
  const unexpected = Object.keys(tensors).filter((k) => k !== PROMPT_EMBEDDINGS);
  if (unexpected.length) warn(`${file}: unexpected tensors ignored: ${unexpected.join(', ')}`);
}
