/**
 * Kernels per training step on the tiny base (every linear layer, r = 8, dropout 0.05, micro-batch
 * 8 × 128; forward, backward and the trainer's fused AdamW with clipping), for LoRA and HydraLoRA
 * N = 4 on one model: the per-kernel overhead the fused ops cut. Prints the count and the kernels
 * HydraLoRA runs more of than LoRA. Needs `pnpm build` (reads @hydralora/trainer's dist).
 *
 *   node bench/kernel-count.mjs
 */
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { tinyStep } from './tiny-step.mjs';

await initBackend({ backend: 'wasm' });
const step = tinyStep();
for (const name of ['lora', 'hydra']) step(name); // warm-up
const counts = {};
for (const name of ['lora', 'hydra']) {
  const info = await tf.profile(() => step(name));
  counts[name] = new Map();
  for (const k of info.kernels) counts[name].set(k.name, (counts[name].get(k.name) ?? 0) + 1);
  console.log(`${name}: ${info.kernels.length} kernels per step`);
}
console.log('HydraLoRA − LoRA by kernel:');
const names = new Set([...counts.lora.keys(), ...counts.hydra.keys()]);
for (const n of [...names].sort()) {
  const d = (counts.hydra.get(n) ?? 0) - (counts.lora.get(n) ?? 0);
  if (d !== 0) console.log(`  ${n.padEnd(24)} ${d > 0 ? '+' : ''}${d}`);
}
