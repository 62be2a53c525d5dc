/**
 * @hydralora/models benchmark (run after `pnpm build`; about 2–3 minutes on an idle core with wasm).
 *
 * Training step = forward + backward (tf.variableGrads of the mean cross-entropy; no optimizer)
 * of the ~10M-parameter config of the issue (hidden 256, 8 layers, 8 heads, 4 KV heads,
 * intermediate 688, vocab 8000, sequence 256, batch 2), in two regimes:
 *   - full: every weight trainable (the trainer's `pretrain`),
 *   - frozen base + rank-8 LoRA-style adapters on q_proj and v_proj of every layer,
 * each built twice in the same process: with gpu-backend's linear/bmm (NN-layout gradients) and
 * with tfjs's default ops (tf.matMul with transposes and its default gradients).
 * Prints tokens/s, the ratio and the process's peak RSS. `--json PATH` also writes the numbers.
 */
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { describeBackend, initBackend, linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { createModel, setProductOps } from '../dist/index.js';
import { BENCH_CONFIG } from './config.mjs';

const CONFIG = BENCH_CONFIG;
const BATCH = 2;
const SEQ = 256;
const RANK = 8;

await initBackend({ backend: process.env.HYDRALORA_BACKEND ?? 'auto' });
const report = await describeBackend();
console.log(
  `backend ${report.backend} (SIMD ${report.simd}, ${report.threads} thread(s)), ${report.device}, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`,
);

const rand = (() => {
  let s = 12345;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
})();
const ids = Array.from({ length: BATCH }, () =>
  Array.from({ length: SEQ }, () => Math.floor(rand() * CONFIG.vocab_size)),
);
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** A minimal LoRA adapter: base + (x·A)·B·(alpha/r), A and B trainable. */
function attachLora(model) {
  const vars = [];
  for (const [name, layer] of model.namedLinears()) {
    if (!/q_proj|v_proj/.test(name)) continue;
    const [a, b] = tf.tidy(() => [
      tf.variable(
        tf.randomNormal([layer.inFeatures, RANK], 0, 0.02),
        true,
        `${model.variablePrefix}/${name}.lora_A`,
      ),
      tf.variable(
        tf.randomNormal([RANK, layer.outFeatures], 0, 0.02),
        true,
        `${model.variablePrefix}/${name}.lora_B`,
      ),
    ]);
    vars.push(a, b);
    layer.setAdapter({ forward: (x, base) => tf.add(base, tf.mul(linear(linear(x, a), b), 2)) });
  }
  return vars;
}

function measure(label, model, vars, steps) {
  const step = () => {
    const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), vars);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) throw new Error(`${label}: loss is ${loss}`);
    return loss;
  };
  step(); // warm-up (kernel set-up, memory growth)
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t0) / 1000 / steps;
  const cpu = process.cpuUsage(c0);
  // CPU seconds of this process: robust to other processes sharing the cores
  const cpuSecondsPerStep = (cpu.user + cpu.system) / 1e6 / steps;
  return {
    label,
    secondsPerStep: seconds,
    tokensPerSecond: (BATCH * SEQ) / seconds,
    cpuSecondsPerStep,
    tokensPerCpuSecond: (BATCH * SEQ) / cpuSecondsPerStep,
    peakRssMiB: peakRssMiB(),
  };
}

const results = { backend: report.backend, config: CONFIG, batch: BATCH, seq: SEQ, runs: [] };
for (const regime of ['full', 'lora']) {
  const model = createModel(CONFIG, { seed: 0, trainable: regime === 'full' });
  const vars = regime === 'full' ? [...model.parameters().values()] : attachLora(model);
  const trainable = vars.reduce((n, v) => n + v.size, 0);
  console.log(
    `\n${regime}: ${(model.numParameters() / 1e6).toFixed(2)}M parameters, ${(trainable / 1e6).toFixed(3)}M trainable, ${BATCH}×${SEQ} tokens per step`,
  );
  const rows = [];
  for (const ops of ['fast', 'tfjs-default']) {
    setProductOps(ops);
    const r = measure(`${regime}/${ops}`, model, vars, ops === 'fast' ? 2 : 1);
    rows.push(r);
    console.log(
      `  ${ops.padEnd(13)} ${r.secondsPerStep.toFixed(2)} s/step  ${r.tokensPerSecond.toFixed(0).padStart(5)} tokens/s (wall)  ${r.tokensPerCpuSecond.toFixed(0).padStart(5)} tokens/CPU-s  peak RSS so far ${r.peakRssMiB.toFixed(0)} MiB`,
    );
  }
  setProductOps('fast');
  const ratio = rows[0].tokensPerSecond / rows[1].tokensPerSecond;
  const cpuRatio = rows[0].tokensPerCpuSecond / rows[1].tokensPerCpuSecond;
  console.log(`  fast / tfjs-default: ${ratio.toFixed(2)}× (wall), ${cpuRatio.toFixed(2)}× (CPU time)`);
  results.runs.push({ regime, parameters: model.numParameters(), trainable, rows, ratio, cpuRatio });
  tf.dispose(regime === 'lora' ? vars : []);
  model.dispose();
}
console.log(`\npeak RSS ${peakRssMiB().toFixed(0)} MiB, live tensors at exit ${tf.memory().numTensors}`);

const jsonAt = process.argv.indexOf('--json');
if (jsonAt > 0 && process.argv[jsonAt + 1]) {
  const file = process.argv[jsonAt + 1];
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}
