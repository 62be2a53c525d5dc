import * as tf from '@tensorflow/tfjs-core';
import { initBackend, blasStatus } from '@hydralora/gpu-backend';
import { AdapterModel } from '@hydralora/core-adapters';
import { createModel } from '../dist/index.js';
await initBackend({ backend: 'wasm' });
console.log(blasStatus());
const CONFIG = { vocab_size: 8000, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 4, tie_word_embeddings: false };
const model = createModel(CONFIG, { seed: 0 });
const ad = AdapterModel.of(model); ad.add('lora', { method: 'lora', r: 8, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'] });
const vars = ad.trainableVariables();
const ids = Array.from({ length: 4 }, (_, b) => Array.from({ length: 256 }, (_, t) => (b * 977 + t * 131) % 8000));
const opt = tf.train.adam(1e-3);
const step = () => { const { value, grads } = tf.variableGrads(() => model.loss(ids, ids, { training: true }), vars); opt.applyGradients(grads); const l = value.dataSync()[0]; tf.dispose([value, ...Object.values(grads)]); return l; };
step();
const info = await tf.profile(() => step());
const by = new Map();
for (const k of info.kernels) { const t = await k.kernelTimeMs; const key = k.name + ' ' + JSON.stringify(k.inputShapes); const e = by.get(key) ?? [0, 0]; e[0] += t; e[1]++; by.set(key, e); }
for (const [k, [t, n]] of [...by.entries()].sort((a, b) => b[1][0] - a[1][0]).slice(0, 40)) console.log(t.toFixed(1).padStart(8), n, k);
