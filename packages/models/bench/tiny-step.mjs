/**
 * The training step the kernel benches measure: the embedded tiny base (random weights), LoRA r = 8
 * and HydraLoRA (N heads) on every linear layer with dropout 0.05, one trainer AdamW each, a
 * micro-batch of 8 × 128 tokens; `step(name)` runs forward, backward, clipping and the update of
 * adapter `name`. Needs `pnpm build` (reads @hydralora/trainer's dist).
 */
import { readFileSync } from 'node:fs';
import { AdapterModel } from '@hydralora/core-adapters';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, gradientClipScale } from '../../trainer/dist/index.js';
import { createModel } from '../dist/index.js';

export function tinyStep({ heads = 4 } = {}) {
  const config = JSON.parse(
    readFileSync(new URL('../../../apps/trainer/assets/tiny-base/config.json', import.meta.url), 'utf8'),
  );
  const model = createModel(config, { seed: 0 });
  const adapters = AdapterModel.of(model);
  const common = {
    r: 8,
    lora_alpha: 16,
    lora_dropout: 0.05,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  };
  adapters.add('lora', { method: 'lora', ...common });
  adapters.add('hydra', { method: 'hydra', num_heads: heads, ...common });
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
  return (name) => {
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
}
