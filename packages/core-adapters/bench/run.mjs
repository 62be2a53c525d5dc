// Step time (forward + backward + AdamW) of one frozen 512→512 linear with an adapter, 2048 tokens
// (8 × 256), r = 8: LoRA, LoRA-Split 4×8 and HydraLoRA N = 4, interleaved in one run so that the
// ratios Hydra/LoRA and Split/LoRA share the machine's state. Target: Hydra/LoRA ≤ 1.25.
// Usage: node bench/run.mjs [--steps 12] [--warmup 3]   (after `pnpm --filter @hydralora/core-adapters build`)
import { loadavg } from 'node:os';
import { initBackend, linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { injectAdapters } from '../dist/index.js';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const STEPS = flag('steps', 12);
const WARMUP = flag('warmup', 3);
const [BATCH, SEQ, DIM, R] = [8, 256, 512, 8];

const info = await initBackend();

class BenchLinear {
  constructor(name) {
    this.name = name;
    this.inFeatures = DIM;
    this.outFeatures = DIM;
    const w = tf.randomUniform([DIM, DIM], -0.04, 0.04, 'float32', 1);
    this.weight = tf.variable(w, false);
    w.dispose();
    this.adapter = null;
  }
  setAdapter(adapter) {
    this.adapter = adapter;
  }
  apply(x, ctx) {
    const base = linear(x, this.weight);
    return this.adapter ? this.adapter.forward(x, base, ctx) : base;
  }
}

/** AdamW (decoupled weight decay), as in PyTorch's defaults but lr 1e-4 and wd 0.01. */
function adamW(variables, { lr = 1e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = {}) {
  const state = variables.map((v) => ({ m: tf.variable(tf.zerosLike(v)), s: tf.variable(tf.zerosLike(v)) }));
  let t = 0;
  return (grads) => {
    t++;
    tf.tidy(() => {
      variables.forEach((v, i) => {
        const g = grads[v.name];
        const { m, s } = state[i];
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        s.assign(tf.add(tf.mul(s, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const mHat = tf.div(m, 1 - beta1 ** t);
        const sHat = tf.div(s, 1 - beta2 ** t);
        const update = tf.add(tf.div(mHat, tf.add(tf.sqrt(sHat), eps)), tf.mul(v, weightDecay));
        v.assign(tf.sub(v, tf.mul(update, lr)));
      });
    });
  };
}

function setup(label, config) {
  const layer = new BenchLinear('model.layers.0.self_attn.q_proj');
  const model = { namedLinears: () => new Map([[layer.name, layer]]) };
  const handle = injectAdapters(model, { r: R, lora_alpha: 16, target_modules: ['q_proj'], ...config });
  const variables = handle.trainableVariables();
  const step = adamW(variables);
  const x = tf.randomNormal([BATCH, SEQ, DIM], 0, 1, 'float32', 2);
  const target = tf.randomNormal([BATCH, SEQ, DIM], 0, 1, 'float32', 3);
  const ctx = { training: true, componentIds: Int32Array.from({ length: BATCH }, (_, i) => i % 4) };
  const run = () => {
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(tf.sub(layer.apply(x, ctx), target))),
      variables,
    );
    step(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  return { label, run, times: [], params: handle.parameterCount().trainable };
}

const cases = [
  setup('LoRA r=8', { method: 'lora' }),
  setup('Split 4x8', { method: 'split', num_heads: 4 }),
  setup('HydraLoRA N=4', { method: 'hydra', num_heads: 4 }),
];
for (let i = 0; i < WARMUP; i++) for (const c of cases) c.run();
for (let i = 0; i < STEPS; i++) {
  for (const c of cases) {
    const start = performance.now();
    c.run();
    c.times.push(performance.now() - start);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const q25 = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 4)];
console.log(
  `backend ${info.name}; ${BATCH}x${SEQ} tokens, ${DIM}->${DIM} frozen base, r=${R}; ${STEPS} steps (fwd+bwd+AdamW); load average ${loadavg()[0].toFixed(1)}`,
);
for (const c of cases) {
  const line = `${median(c.times).toFixed(1).padStart(7)} ms/step median, ${q25(c.times).toFixed(1).padStart(7)} p25`;
  console.log(`${c.label.padEnd(15)} ${line}  trainable ${c.params}`);
}
// The 25th percentile is less disturbed by other processes on a shared machine than the median.
const ratio = (f, i) => (f(cases[i].times) / f(cases[0].times)).toFixed(3);
console.log(`ratio Hydra/LoRA ${ratio(median, 2)} (median), ${ratio(q25, 2)} (p25)  target <= 1.25`);
console.log(`ratio Split/LoRA ${ratio(median, 1)} (median), ${ratio(q25, 1)} (p25)`);
console.log(`tensors alive after the run: ${tf.memory().numTensors}`);
