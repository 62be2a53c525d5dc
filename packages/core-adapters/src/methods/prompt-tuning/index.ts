import * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig } from '../../config.js';
import { hashSeed } from '../../layer/init.js';
import { normalTable, PromptEmbeddingModule, type VirtualTokenHost } from '../../prompt/module.js';
import { type AdapterMethod, NO_LAYER_SHAPE } from '../types.js';

/**
 * PEFT's TEXT initialisation: the token ids of the text, cut to N or repeated until N, and their
 * embeddings as the table.
 */
export function textInitIds(ids: readonly number[], count: number): number[] {
  if (ids.length === 0) throw new Error('prompt_tuning_init_text has no tokens');
  const repeated: number[] = [];
  while (repeated.length < count) repeated.push(...ids);
  return repeated.slice(0, count);
}

function initialTable(config: AdapterConfig, host: VirtualTokenHost): tf.Variable {
  const n = config.num_virtual_tokens;
  const h = host.geometry.hiddenSize;
  if (config.prompt_tuning_init === 'RANDOM' || host.loading) {
    return normalTable(n, h, hashSeed('prompt_embeddings', config.init_seed));
  }
  const text = config.prompt_tuning_init_text;
  if (text === null)
    throw new Error(
      `${host.source}: field 'prompt_tuning_init_text' is required when prompt_tuning_init is 'TEXT'`,
    );
  if (!host.tokenize)
    throw new Error(`${host.source}: prompt_tuning_init 'TEXT' needs a tokenizer (InjectOptions.tokenize)`);
  if (!host.embedTokens)
    throw new Error(
      `${host.source}: prompt_tuning_init 'TEXT' needs the model's token embedding (embedTokens)`,
    );
  const embed = host.embedTokens;
  const ids = textInitIds(host.tokenize(text), n);
  const vocab = embed.shape[0] as number;
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
  if (bad !== undefined)
    throw new Error(
      `${host.source}: prompt_tuning_init_text gives token id ${bad}, outside the vocabulary [0, ${vocab})`,
    );
  return tf.tidy(() => tf.variable(tf.gather(embed, tf.tensor1d(ids, 'int32')), true));
}

/**
 * Prompt tuning (Lester et al., 2021): N trainable virtual-token embeddings placed before the
 * token embeddings. Files: PEFT's PROMPT_TUNING, `prompt_embeddings` [N, hidden].
 */
export const promptTuningMethod: AdapterMethod = {
  name: 'prompt-tuning',
  peftType: 'PROMPT_TUNING',
  description: 'prompt tuning (Lester et al.): N trainable input embeddings before every sequence',
  extraConfigKeys: [],
  shape: () => NO_LAYER_SHAPE,
  virtualTokens: {
    configKeys: ['prompt_tuning_init', 'prompt_tuning_init_text'],
    peftGeometry: (g) => ({ tokenDim: g.hiddenSize, numAttentionHeads: g.numAttentionHeads }),
    create: (config, host) =>
      new PromptEmbeddingModule(
        config.num_virtual_tokens,
        host.geometry.hiddenSize,
        initialTable(config, host),
        null,
      ),
  },
};
