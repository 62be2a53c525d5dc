/**
 * Rotary position embeddings with Hugging Face's conventions: inv_freq[i] = θ^(−2i/d),
 * angles = position · inv_freq duplicated over both halves of the head, and
 * rotate_half(x) = concat(−x₂, x₁) with x₁, x₂ the two halves of the head dimension.
 */

import { rotary } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaConfig } from './config.js';

/** Inverse frequencies (length headDim/2), with `linear` or `llama3` scaling when configured. */
export function inverseFrequencies(config: LlamaConfig, headDim: number): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / config.rope_theta ** ((2 * i) / headDim);
  const scaling = config.rope_scaling;
  const kind = scaling ? (scaling.rope_type ?? scaling.type ?? 'default') : 'default';
  if (!scaling || kind === 'default') return inv;
  if (kind === 'linear') return inv.map((f) => f / scaling.factor);
  // llama3: long wavelengths divided by `factor`, short kept, a smooth blend in between.
  const low = scaling.low_freq_factor ?? 1;
  const high = scaling.high_freq_factor ?? 4;
  const oldLen = scaling.original_max_position_embeddings ?? 8192;
  const lowWavelen = oldLen / low;
  const highWavelen = oldLen / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / scaling.factor;
    const smooth = (oldLen / wavelen - low) / (high - low);
    return (1 - smooth) * (f / scaling.factor) + smooth * f;
  });
}

/** cos and sin tables [batch, 1, seq, headDim] for the given positions ([batch][seq]). */
export function rotaryTables(
  positions: Int32Array,
  batch: number,
  seq: number,
  invFreq: Float64Array,
): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  const half = invFreq.length;
  const dim = half * 2;
  const cos = new Float32Array(batch * seq * dim);
  const sin = new Float32Array(batch * seq * dim);
  for (let p = 0; p < batch * seq; p++) {
    const pos = positions[p] as number;
    for (let i = 0; i < half; i++) {
      // float32 angle, as HF computes it
      const angle = Math.fround(Math.fround(invFreq[i] as number) * pos);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * dim + i] = c;
      cos[p * dim + half + i] = c;
      sin[p * dim + i] = s;
      sin[p * dim + half + i] = s;
    }
  }
  return {
    cos: tf.tensor4d(cos, [batch, 1, seq, dim]),
    sin: tf.tensor4d(sin, [batch, 1, seq, dim]),
  };
}

/**
 * x·cos + rotate_half(x)·sin for x [batch, heads, seq, headDim]: gpu-backend's `rotary` (one
 * fused kernel each way on wasm and cpu, SIMD on wasm; slices and a concat elsewhere).
 */
export function applyRotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  return rotary(x, cos, sin);
}
