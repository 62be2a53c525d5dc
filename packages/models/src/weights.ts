/**
 * The tensors of a LLaMA-family checkpoint in Hugging Face layout (linear weights [out, in]),
 * and a deterministic random initialisation of them.
 */

import { mulberry32 } from '@hydralora/common';
import { type LlamaConfig, resolveConfig } from './config.js';
import type { HostTensor } from './safetensors.js';

/** Names and HF-layout shapes of every tensor a checkpoint of `config` holds, in file order. */
export function checkpointShapes(config: LlamaConfig): [string, number[]][] {
  const { headDim, numKeyValueHeads, qkvBias } = resolveConfig(config);
  const h = config.hidden_size;
  const q = config.num_attention_heads * headDim;
  const kv = numKeyValueHeads * headDim;
  const m = config.intermediate_size;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [config.vocab_size, h]]];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    out.push([`${p}.input_layernorm.weight`, [h]]);
    out.push([`${p}.self_attn.q_proj.weight`, [q, h]]);
    if (qkvBias) out.push([`${p}.self_attn.q_proj.bias`, [q]]);
    out.push([`${p}.self_attn.k_proj.weight`, [kv, h]]);
    if (qkvBias) out.push([`${p}.self_attn.k_proj.bias`, [kv]]);
    out.push([`${p}.self_attn.v_proj.weight`, [kv, h]]);
    if (qkvBias) out.push([`${p}.self_attn.v_proj.bias`, [kv]]);
    out.push([`${p}.self_attn.o_proj.weight`, [h, q]]);
    out.push([`${p}.post_attention_layernorm.weight`, [h]]);
    out.push([`${p}.mlp.gate_proj.weight`, [m, h]]);
    out.push([`${p}.mlp.up_proj.weight`, [m, h]]);
    out.push([`${p}.mlp.down_proj.weight`, [h, m]]);
  }
  out.push(['model.norm.weight', [h]]);
  if (!config.tie_word_embeddings) out.push(['lm_head.weight', [config.vocab_size, h]]);
  return out;
}

/** Options of the random initialisation. */
export interface RandomInitOptions {
  /** PRNG seed (default 0). */
  seed?: number;
  /** Standard deviation of weights and biases (default 0.02, as HF's `initializer_range`). */
  std?: number;
  /**
   * Randomise the RMSNorm gains around 1 (±0.1) instead of exactly 1, so that tests notice a
   * norm weight that is ignored (default false).
   */
  perturbNorms?: boolean;
}

/** Deterministic random tensors for `config` (HF layout), keyed by checkpoint name. */
export function randomCheckpointTensors(
  config: LlamaConfig,
  options: RandomInitOptions = {},
): Map<string, HostTensor> {
  const rand = mulberry32(options.seed ?? 0);
  const std = options.std ?? 0.02;
  const gaussian = (): number => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const tensors = new Map<string, HostTensor>();
  for (const [name, shape] of checkpointShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNorm = name.endsWith('norm.weight');
    for (let i = 0; i < data.length; i++) {
      data[i] = isNorm ? 1 + (options.perturbNorms ? 0.2 * (rand() - 0.5) : 0) : std * gaussian();
    }
    tensors.set(name, { shape, data });
  }
  return tensors;
}

/** Transpose a row-major [rows, cols] matrix. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c] as number;
  }
  return out;
}
