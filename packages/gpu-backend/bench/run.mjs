/**
 * gpu-backend benchmark (run after `pnpm build`; ~1–2 minutes on wasm):
 *  1. fwd+bwd of `linear` at [2048×512]·[512×512] and [4096×1024]·[1024×1024]: GFLOP/s of the
 *     fast path (linear, NN-layout custom gradients) vs tfjs's default autodiff (tf.matMul + tf.grads),
 *  2. bmm vs tf.matMul at attention shapes [32, 256, 64],
 *  3. a LoRA training step (frozen 512→512 + rank-8 adapter, 2048 tokens, fwd+bwd + Adam) with
 *     1 vs 2 data-parallel workers.
 * Results go to stdout; with --json PATH they are also written (atomically) as JSON.
 */
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { blasStatus, bmm, DataParallelPool, describeBackend, initBackend, linear } from '../dist/index.js';
import { initialParams, makeBatch, shardBatch } from '../src/__fixtures__/lora-task.mjs';

const backend = process.env.HYDRALORA_BACKEND ?? 'wasm';
await initBackend({ backend });
const report = await describeBackend();
const results = {
  backend: report.backend,
  simd: report.simd,
  cpu: report.device,
  node: process.version,
  linear: [],
  bmm: [],
  dataParallel: null,
};
console.log(
  `backend ${report.backend} (SIMD ${report.simd}), ${report.device}, Node ${process.version}, ` +
    `load average ${os.loadavg()[0].toFixed(1)} (other processes slow every number down)`,
);
const blas = blasStatus();
console.log(
  blas.active
    ? `matrix products: ${blas.vendor} ${blas.path}, ${blas.threads} thread(s) (HYDRALORA_BLAS=off for pure wasm)`
    : `matrix products: pure ${report.backend} (${blas.reason})`,
);

/** Median ms of `iters` runs after `warmup` runs; every run reads its results back. */
async function time(fn, { iters = 3, warmup = 1 } = {}) {
  const run = async () => {
    const t0 = performance.now();
    const out = fn();
    await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) await run();
  const times = [];
  for (let i = 0; i < iters; i++) times.push(await run());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const gflops = (flop, ms) => flop / ms / 1e6;

// 1. linear fwd+bwd
for (const [m, k, n, iters] of [
  [2048, 512, 512, 3],
  [4096, 1024, 1024, 1],
]) {
  const x = tf.randomNormal([m, k]);
  const w = tf.randomNormal([k, n], 0, 1 / Math.sqrt(k));
  const dy = tf.randomNormal([m, n]);
  const flop = 3 * 2 * m * k * n; // forward, dX, dW
  const fastFn = tf.grads((a, b) => linear(a, b));
  const defaultFn = tf.grads((a, b) => tf.matMul(a, b));
  const fastMs = await time(() => fastFn([x, w], dy), { iters: Math.max(iters, 2) });
  const defaultMs = await time(() => defaultFn([x, w], dy), { iters, warmup: iters === 1 ? 0 : 1 });
  const row = {
    shape: `[${m}x${k}]·[${k}x${n}]`,
    fastMs,
    defaultMs,
    fastGflops: gflops(flop, fastMs),
    defaultGflops: gflops(flop, defaultMs),
    ratio: defaultMs / fastMs,
  };
  results.linear.push(row);
  console.log(
    `linear fwd+bwd ${row.shape}: fast ${row.fastGflops.toFixed(2)} GFLOP/s (${fastMs.toFixed(0)} ms), ` +
      `tfjs autodiff ${row.defaultGflops.toFixed(2)} GFLOP/s (${defaultMs.toFixed(0)} ms), ratio ${row.ratio.toFixed(1)}×`,
  );
  tf.dispose([x, w, dy]);
}

// 2. bmm at attention shapes: scores = Q·Kᵀ and context = P·V, batch·heads = 32, seq 256, head dim 64.
{
  const [b, s, d] = [32, 256, 64];
  const q = tf.randomNormal([b, s, d]);
  const kk = tf.randomNormal([b, s, d]);
  const p = tf.randomNormal([b, s, s]);
  const v = tf.randomNormal([b, s, d]);
  const flop = 2 * b * s * s * d;
  const cases = [
    [
      'Q·Kᵀ [32,256,64]·[32,256,64]ᵀ',
      [q, kk],
      (x, y) => bmm(x, y, { transposeB: true }),
      (x, y) => tf.matMul(x, y, false, true),
      tf.randomNormal([b, s, s]),
    ],
    [
      'P·V [32,256,256]·[32,256,64]',
      [p, v],
      (x, y) => bmm(x, y),
      (x, y) => tf.matMul(x, y),
      tf.randomNormal([b, s, d]),
    ],
  ];
  for (const [name, args, fast, own, dy] of cases) {
    const fwdFast = await time(() => [fast(...args)], { iters: 5 });
    const fwdOwn = await time(() => [own(...args)], { iters: 5 });
    const bwdFast = await time(() => tf.grads(fast)(args, dy), { iters: 3 });
    const bwdOwn = await time(() => tf.grads(own)(args, dy), { iters: 3 });
    const row = {
      shape: name,
      fwdGflops: { bmm: gflops(flop, fwdFast), tfMatMul: gflops(flop, fwdOwn) },
      fwdBwdGflops: { bmm: gflops(3 * flop, bwdFast), tfMatMul: gflops(3 * flop, bwdOwn) },
    };
    results.bmm.push(row);
    console.log(
      `bmm ${name}: fwd ${row.fwdGflops.bmm.toFixed(2)} vs tf.matMul ${row.fwdGflops.tfMatMul.toFixed(2)} GFLOP/s; ` +
        `fwd+bwd ${row.fwdBwdGflops.bmm.toFixed(2)} vs ${row.fwdBwdGflops.tfMatMul.toFixed(2)} GFLOP/s ` +
        `(${(bwdOwn / bwdFast).toFixed(1)}×)`,
    );
    dy.dispose();
  }
  tf.dispose([q, kk, p, v]);
}

// 3. data-parallel LoRA step: 1 vs 2 workers
{
  const config = { inDim: 512, outDim: 512, rank: 8, alpha: 16, seed: 1 };
  const tokens = 2048;
  const taskModule = new URL('../src/__fixtures__/lora-task.mjs', import.meta.url);
  const batch = makeBatch(config, tokens, 3);
  const steps = 6;
  const perWorkers = {};
  for (const workers of [1, 2]) {
    const pool = await DataParallelPool.create({ workers, taskModule, config, backend });
    const params = initialParams(config);
    const adam = makeAdam(params, 1e-3);
    const shards = shardBatch(config, batch, Array(workers).fill(tokens / workers));
    const times = [];
    let firstLoss = 0;
    const workerMs = [];
    for (let i = 0; i < steps + 1; i++) {
      const t0 = performance.now();
      const out = await pool.step(params, shards);
      adam(out.grads);
      if (i > 0) {
        times.push(performance.now() - t0);
        workerMs.push(Math.max(...out.shards.map((sh) => sh.ms)));
      } else firstLoss = out.loss;
    }
    await pool.close();
    times.sort((a, b) => a - b);
    workerMs.sort((a, b) => a - b);
    const computeMs = workerMs[Math.floor(workerMs.length / 2)];
    perWorkers[workers] = { medianMs: times[Math.floor(times.length / 2)], computeMs, firstLoss };
    console.log(
      `data-parallel LoRA step (512→512 frozen + r=8, ${tokens} tokens, fwd+bwd+Adam), ${workers} worker(s): ${perWorkers[workers].medianMs.toFixed(1)} ms/step (median of ${steps}; slowest worker's compute ${computeMs.toFixed(1)} ms), first-step loss ${firstLoss.toFixed(6)}`,
    );
  }
  const speedup = perWorkers[1].medianMs / perWorkers[2].medianMs;
  results.dataParallel = { tokens, steps, ...perWorkers, speedup, cores: os.cpus().length };
  console.log(
    `data-parallel speed-up 1 → 2 workers: ${speedup.toFixed(2)}× (${os.cpus().length} logical cores, shared machine)`,
  );
}

/** Plain-JS Adam over named Float32Arrays (the optimiser step on the main thread). */
function makeAdam(params, lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
  const m = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float32Array(v.length)]));
  const v2 = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, new Float32Array(v.length)]));
  let t = 0;
  return (grads) => {
    t++;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (const [name, p] of Object.entries(params)) {
      const g = grads[name];
      const mm = m[name];
      const vv = v2[name];
      for (let i = 0; i < p.length; i++) {
        mm[i] = beta1 * mm[i] + (1 - beta1) * g[i];
        vv[i] = beta2 * vv[i] + (1 - beta2) * g[i] * g[i];
        p[i] -= (lr * (mm[i] / c1)) / (Math.sqrt(vv[i] / c2) + eps);
      }
    }
  };
}

const jsonAt = process.argv.indexOf('--json');
if (jsonAt > 0 && process.argv[jsonAt + 1]) {
  const file = process.argv[jsonAt + 1];
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  console.log(`wrote ${file}`);
}
