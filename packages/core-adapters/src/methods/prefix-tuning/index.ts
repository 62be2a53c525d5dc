import type { AdapterConfig } from '../../config.js';
import { hashSeed } from '../../layer/init.js';
import type { VirtualTokenGeometry } from '../../model-types.js';
import { MlpEncoder } from '../../prompt/mlp-encoder.js';
import { normalTable, PrefixModule, type VirtualTokenHost } from '../../prompt/module.js';
import { type AdapterMethod, NO_LAYER_SHAPE } from '../types.js';

/** PEFT's token_dim of a prefix: the key/value width, numKeyValueHeads · headDim (hidden without GQA). */
function kvWidth(g: VirtualTokenGeometry): number {
  return g.numKeyValueHeads * g.headDim;
}

function create(config: AdapterConfig, host: VirtualTokenHost): PrefixModule {
  const g = host.geometry;
  const n = config.num_virtual_tokens;
  const tokenDim = kvWidth(g);
  const out = g.numLayers * 2 * tokenDim;
  const seed = hashSeed('prefix_encoder', config.init_seed);
  if (!config.prefix_projection) return new PrefixModule(n, g, normalTable(n, out, seed), null);
  const hidden = config.encoder_hidden_size ?? tokenDim;
  const encoder = new MlpEncoder(
    [
      { name: 'transform.0', inFeatures: tokenDim, outFeatures: hidden },
      { name: 'transform.2', inFeatures: hidden, outFeatures: out },
    ],
    'tanh',
    seed + 1,
  );
  return new PrefixModule(n, g, normalTable(n, tokenDim, seed), encoder);
}

/**
 * Prefix tuning (Li & Liang, 2021): N trainable keys and values in every attention layer, which
 * every real token attends to; with `prefix_projection` they come from an MLP
 * (Linear → tanh → Linear) of an [N, token_dim] table while training. With grouped-query
 * attention the prefixes have the key/value heads (token_dim = numKeyValueHeads · headDim).
 * Files: PEFT's PREFIX_TUNING, `prompt_embeddings` [N, num_layers · 2 · token_dim].
 */
export const prefixTuningMethod: AdapterMethod = {
  name: 'prefix-tuning',
  peftType: 'PREFIX_TUNING',
  description: 'prefix tuning (Li & Liang): N trainable keys/values per attention layer',
  extraConfigKeys: [],
  shape: () => NO_LAYER_SHAPE,
  virtualTokens: {
    configKeys: ['encoder_hidden_size', 'prefix_projection'],
    peftGeometry: (g) => ({ tokenDim: kvWidth(g), numAttentionHeads: g.numKeyValueHeads }),
    create,
  },
};
