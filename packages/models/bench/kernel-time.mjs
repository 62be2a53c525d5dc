/**
 * Where a HydraLoRA step spends the time LoRA's does not: wall time of every kernel of a training
 * step on the tiny base (every linear layer, r = 8, dropout 0.05, micro-batch 8 × 128; forward,
 * backward, clipping and the trainer's fused AdamW), LoRA and HydraLoRA N = 4 on one model with
 * alternating steps, summed per kernel name and (with `--shapes`) per kernel and input shapes.
 * The time of a kernel includes nothing of the tape's or the engine's bookkeeping; the step time
 * does. Needs `pnpm build` (reads @hydralora/trainer's dist).
 *
 *   node bench/kernel-time.mjs [--rounds 10] [--heads 4] [--shapes]
 */
import { initBackend, productStrategy, setProductStrategy } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { tinyStep } from './tiny-step.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', '10'));
const heads = Number(arg('--heads', '4'));
await initBackend({ backend: 'wasm' });
// The timing wrappers below replace the kernels' functions, which hides the BLAS pack from
// blasKernelsActive(): pin the product strategy it chose.
setProductStrategy(productStrategy());
const times = { lora: new Map(), hydra: new Map() };
let current = null;
let depth = 0;
for (const kernel of tf.getKernelsForBackend(tf.getBackend())) {
  const f = kernel.kernelFunc;
  kernel.kernelFunc = (args) => {
    if (!current || depth > 0) return f(args);
    depth++;
    const t0 = performance.now();
    const out = f(args);
    const ms = performance.now() - t0;
    depth--;
    const shapes = Object.values(args.inputs)
      .map((t) => t?.shape?.join('×'))
      .join(', ');
    const key = `${kernel.kernelName} ${shapes}`;
    const e = times[current].get(key) ?? { name: kernel.kernelName, n: 0, ms: 0 };
    e.n++;
    e.ms += ms;
    times[current].set(key, e);
    return out;
  };
}
const step = tinyStep({ heads });
for (let i = 0; i < 3; i++) for (const name of ['lora', 'hydra']) step(name); // warm-up
const steps = { lora: [], hydra: [] };
for (let i = 0; i < rounds; i++) {
  for (const name of i % 2 ? ['hydra', 'lora'] : ['lora', 'hydra']) {
    current = name;
    const t0 = performance.now();
    step(name);
    steps[name].push(performance.now() - t0);
    current = null;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perStep = (ms) => (ms / rounds).toFixed(2).padStart(9);
const kernelMs = (m) => [...m.values()].reduce((a, e) => a + e.ms, 0);
console.log(`# ${new Date().toISOString()}; ${rounds} alternating steps each, HydraLoRA N = ${heads}`);
console.log(
  `step ms (median): LoRA ${median(steps.lora).toFixed(1)}, HydraLoRA ${median(steps.hydra).toFixed(1)}, ratio ${(median(steps.hydra) / median(steps.lora)).toFixed(3)}; in kernels per step: ${(kernelMs(times.lora) / rounds).toFixed(1)} and ${(kernelMs(times.hydra) / rounds).toFixed(1)} ms`,
);
const group = (m, key) => {
  const out = new Map();
  for (const [k, e] of m) {
    const g = key(k, e);
    const x = out.get(g) ?? { n: 0, ms: 0 };
    x.n += e.n;
    x.ms += e.ms;
    out.set(g, x);
  }
  return out;
};
const table = (key, limit) => {
  const l = group(times.lora, key);
  const h = group(times.hydra, key);
  const zero = { n: 0, ms: 0 };
  const rows = [...new Set([...l.keys(), ...h.keys()])]
    .map((k) => ({ k, l: l.get(k) ?? zero, h: h.get(k) ?? zero }))
    .sort((a, b) => Math.abs(b.h.ms - b.l.ms) - Math.abs(a.h.ms - a.l.ms))
    .slice(0, limit);
  const width = Math.max(24, ...rows.map((r) => r.k.length));
  console.log(
    `${'kernel'.padEnd(width)}  LoRA calls   LoRA ms  Hydra calls  Hydra ms   Hydra−LoRA ms (per step)`,
  );
  for (const r of rows)
    console.log(
      `${r.k.padEnd(width)}  ${String(r.l.n / rounds).padStart(10)} ${perStep(r.l.ms)}  ${String(r.h.n / rounds).padStart(11)} ${perStep(r.h.ms)}   ${perStep(r.h.ms - r.l.ms)}`,
    );
};
table((_, e) => e.name, 30);
if (process.argv.includes('--shapes')) {
  console.log('');
  table((k) => k, 40);
}
