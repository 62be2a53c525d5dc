/** Seeded initialisers matching PyTorch's defaults used by the official code. */
import * as tf from '@tensorflow/tfjs-core';

/** FNV-1a hash of a string, to derive per-module seeds from one config seed. */
export function hashSeed(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 2147483647;
}

/**
 * PyTorch's `kaiming_uniform_(w, a=√5)` for a weight with `fanIn` inputs: gain √(2/(1+a²)) = √(1/3),
 * bound = gain·√(3/fanIn) = 1/√fanIn. The returned tensor has the given (kernel-layout) shape.
 */
export function kaimingUniform(shape: [number, number], fanIn: number, seed: number): tf.Tensor2D {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', seed) as tf.Tensor2D;
}

/**
 * Head-diversity init (our reading of R-LoRA's argument that zero heads stay alike): heads drawn
 * U(±scale/√(N·r)) and then centred across heads, so Σᵢ Bᵢ = 0 — the update is exactly zero under
 * uniform routing and small while the gate is near uniform, but the heads start apart.
 */
export function diverseHeads(
  count: number,
  shape: [number, number],
  scale: number,
  seed: number,
): tf.Tensor2D[] {
  return tf.tidy(() => {
    const bound = scale / Math.sqrt(count * shape[0]);
    const raw = tf.randomUniform([count, ...shape], -bound, bound, 'float32', seed);
    const centred = count > 1 ? tf.sub(raw, tf.mean(raw, 0, true)) : raw;
    return tf.unstack(centred) as tf.Tensor2D[];
  });
}
