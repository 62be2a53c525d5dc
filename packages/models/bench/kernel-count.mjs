/**
 * Kernels per training step on the tiny base (every linear layer, r = 8, dropout 0.05, micro-batch
 * 8 × 128; forward, backward and the trainer's fused AdamW with clipping), for LoRA and HydraLoRA
 * N = 4 on one model: the per-kernel overhead the fused ops cut. Prints the count and the kernels
 * HydraLoRA runs more of than LoRA. Needs `pnpm build` (reads @hydralora/trainer's dist).
 *
 *   node bench/kernel-count.mjs
 */
import { readFileSync } from 'node:fs';
import { AdapterModel } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, gradientClipScale } from '../../trainer/dist/index.js';
import { createModel } from '../dist/index.js';

const config = JSON.parse(
  readFileSync(new URL('../../../apps/trainer/assets/tiny-base/config.json', import.meta.url), 'utf8'),
);
await initBackend({ backend: 'wasm' });
const model = createModel(config, { seed: 0 });
const adapters = AdapterModel.of(model);
const common = {
  r: 8,
  lora_alpha: 16,
  lora_dropout: 0.05,
  target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
};
adapters.add('lora', { method: 'lora', ...common });
adapters.add('hydra', { method: 'hydra', num_heads: 4, ...common });
const optimizers = {};
for (const name of ['lora', 'hydra']) {
  adapters.setActiveAdapter(name);
  const vars = adapters.trainableVariables();
  optimizers[name] = new AdamW(new Map(vars.map((v) => [v.name, v])), { lr: 1e-3 });
}
const ids = Array.from({ length: 8 }, (_, b) =>
  Array.from({ length: 128 }, (_, t) => (b * 977 + t * 131) % config.vocab_size),
);
const mask = ids.map((row) => row.map(() => 1));
let seed = 0;
const step = (name) => {
  adapters.setActiveAdapter(name);
  const { value, grads } = tf.variableGrads(
    () => model.loss(ids, ids, { training: true, dropoutSeed: seed++, attentionMask: mask }),
    adapters.trainableVariables(),
  );
  const { scale } = gradientClipScale(Object.values(grads), 1);
  optimizers[name].apply(new Map(Object.entries(grads)), 1e-3, scale);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
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
