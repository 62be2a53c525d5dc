import type { AdapterConfig } from '../../config.js';
import { hashSeed } from '../../layer/init.js';
import { LstmEncoder } from '../../prompt/lstm-encoder.js';
import { MlpEncoder } from '../../prompt/mlp-encoder.js';
import {
  normalTable,
  PromptEmbeddingModule,
  type PromptEncoder,
  type VirtualTokenHost,
} from '../../prompt/module.js';
import { type AdapterMethod, NO_LAYER_SHAPE } from '../types.js';

function encoder(config: AdapterConfig, width: number, seed: number): PromptEncoder {
  const hidden = config.encoder_hidden_size ?? width;
  if (config.encoder_reparameterization_type === 'LSTM') {
    return new LstmEncoder(width, hidden, config.encoder_num_layers, config.encoder_dropout, width, seed);
  }
  return new MlpEncoder(
    [
      { name: 'mlp_head.0', inFeatures: width, outFeatures: hidden },
      { name: 'mlp_head.2', inFeatures: hidden, outFeatures: hidden },
      { name: 'mlp_head.4', inFeatures: hidden, outFeatures: width },
    ],
    'relu',
    seed,
  );
}

function create(config: AdapterConfig, host: VirtualTokenHost): PromptEmbeddingModule {
  const width = host.geometry.hiddenSize;
  const n = config.num_virtual_tokens;
  const seed = hashSeed('prompt_encoder', config.init_seed);
  return new PromptEmbeddingModule(n, width, normalTable(n, width, seed), encoder(config, width, seed + 1));
}

/**
 * P-tuning (Liu et al., 2021, "GPT Understands, Too"): N virtual input embeddings produced by a
 * prompt encoder from an [N, hidden] table while training — PEFT's MLP (Linear → ReLU → Linear →
 * ReLU → Linear) or a bidirectional LSTM followed by an MLP. The encoder is dropped after
 * training: the files hold the produced embeddings. Files: PEFT's P_TUNING, `prompt_embeddings` [N, hidden].
 */
export const pTuningMethod: AdapterMethod = {
  name: 'p-tuning',
  peftType: 'P_TUNING',
  description: 'P-tuning (Liu et al.): virtual input embeddings from an MLP or LSTM prompt encoder',
  extraConfigKeys: [],
  shape: () => NO_LAYER_SHAPE,
  virtualTokens: {
    configKeys: [
      'encoder_reparameterization_type',
      'encoder_hidden_size',
      'encoder_num_layers',
      'encoder_dropout',
    ],
    peftGeometry: (g) => ({ tokenDim: g.hiddenSize, numAttentionHeads: g.numAttentionHeads }),
    create,
  },
};
