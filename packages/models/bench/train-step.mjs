/**
 * `pnpm bench` of @hydralora/models (after `pnpm build`): a whole training step — forward,
 * backward and an Adam update (the trainer's fused AdamW kernel, weight decay 0) — of the ~10M-parameter LLaMA config (hidden 256, 8 layers, 8 heads
 * / 4 KV heads, ffn 688, vocab 8000, sequence 256, batch 4) for LoRA r=8 on q,v, HydraLoRA N=4 on
 * q,v and full fine-tuning, each
 *   - on wasm with the native-BLAS kernel pack (what `initBackend` picks when a BLAS is found),
 *   - on pure wasm (HYDRALORA_BLAS=off),
 *   - in PyTorch (bench/torch_step.py, /usr/bin/python3; skipped with a note when absent),
 * one child process per measurement (so each peak RSS is its own), interleaved per method so that
 * the ratios are measured side by side. Then the other baselines ((IA)³, prompt tuning, P-tuning,
 * prefix tuning, AdaLoRA with its orthogonality term and rank allocation in the step; tfjs only),
 * one LoraHub search evaluation (compose K LoRAs, assign, forward loss: LoraHub trains nothing, so
 * its cost is evaluations × this), the LoRA step at batch 8 × 256 (peak RSS), and a
 * kernel profile of one BLAS LoRA step (where the remaining time goes).
 *
 *   node bench/train-step.mjs [--steps N] [--json PATH]
 *
 * Child mode (used by the above): node bench/train-step.mjs --child METHOD --batch B --steps N [--profile]
 * (METHOD `lorahub`: N timed search evaluations instead of training steps; needs @hydralora/trainer built)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { BENCH_CONFIG } from './config.mjs';

const CONFIG = BENCH_CONFIG;
const SEQ = 256;
/** The other baselines' settings in this bench: PEFT's defaults for LLaMA, 20 virtual tokens. */
const BASELINE_OPTIONS = {
  ia3: {
    target_modules: ['k_proj', 'v_proj', 'down_proj'],
    feedforward_modules: ['down_proj'],
    lora_dropout: 0,
  },
  'prompt-tuning': { num_virtual_tokens: 20, target_modules: [], lora_dropout: 0 },
  'p-tuning': {
    num_virtual_tokens: 20,
    encoder_reparameterization_type: 'MLP',
    target_modules: [],
    lora_dropout: 0,
  },
  'prefix-tuning': { num_virtual_tokens: 20, prefix_projection: true, target_modules: [], lora_dropout: 0 },
  // PEFT's AdaLoRA defaults (init_r 12 → target_r 8) on q,v; with tinit 0 and a long schedule every
  // timed step is in the cubic phase with an allocation (deltaT 1): the costliest steady state.
  adalora: { init_r: 12, target_r: 8, tinit: 0, tfinal: 0, deltaT: 1, total_step: 1000, lora_dropout: 0 },
};
/** Methods whose training objective adds the forward's auxiliary losses (AdaLoRA's orthogonality term). */
const WITH_AUX = new Set(['adalora']);
/** The LoraHub evaluation: K source LoRAs r=8 on q,v (adapterOptions()). */
const LORAHUB_K = 4;

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

if (process.argv.includes('--pair')) await pair();
else if (process.argv.includes('--child')) await child();
else await orchestrate();

/**
 * HydraLoRA against LoRA in one process: both adapters on one model (each with its own Adam),
 * steps alternating LoRA, Hydra, LoRA, … so that both see the same machine load; prints the median
 * of the per-round step-time ratios (wall and CPU).
 */
async function pair() {
  const rounds = Number(arg('--rounds', '3'));
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend } = await import('@hydralora/gpu-backend');
  const { AdapterModel } = await import('@hydralora/core-adapters');
  const { createModel } = await import('../dist/index.js');
  await initBackend({ backend: 'wasm' });
  const model = createModel(CONFIG, { seed: 0 });
  const adapters = AdapterModel.of(model);
  const common = adapterOptions();
  adapters.add('lora', { method: 'lora', ...common });
  adapters.add('hydra', { method: 'hydra', num_heads: 4, ...common });
  adapters.setActiveAdapter('lora');
  const loraVars = adapters.trainableVariables();
  adapters.setActiveAdapter('hydra');
  const optimizers = {
    lora: await fusedAdam(loraVars),
    hydra: await fusedAdam(adapters.trainableVariables()),
  };
  const ids = Array.from({ length: 4 }, (_, b) =>
    Array.from({ length: SEQ }, (_, t) => (b * 977 + t * 131) % CONFIG.vocab_size),
  );
  let seed = 0;
  const step = (name) => {
    adapters.setActiveAdapter(name);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { value, grads } = tf.variableGrads(
      () => model.loss(ids, ids, { training: true, dropoutSeed: seed++ }),
      adapters.trainableVariables(),
    );
    optimizers[name].applyGradients(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    const cpu = process.cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  };
  step('lora');
  step('hydra');
  const wall = [];
  const cpu = [];
  for (let i = 0; i < rounds; i++) {
    const l = step('lora');
    const h = step('hydra');
    wall.push(h.ms / l.ms);
    cpu.push(h.cpuMs / l.cpuMs);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify({ rounds, wall: median(wall), cpu: median(cpu), wallAll: wall, cpuAll: cpu }));
}

/**
 * Adam (β = 0.9, 0.999, ε = 1e-8, lr 1e-3, as torch.optim.Adam's defaults in torch_step.py) as
 * @hydralora/trainer's AdamW runs it: one fused `adamwStep` kernel per parameter, weight decay 0.
 */
async function fusedAdam(vars, lr = 1e-3) {
  const tf = await import('@tensorflow/tfjs-core');
  const { adamwStep } = await import('@hydralora/gpu-backend');
  const slots = vars.map((p) => ({
    p,
    m: tf.variable(tf.zerosLike(p), false),
    v: tf.variable(tf.zerosLike(p), false),
  }));
  let t = 0;
  return {
    applyGradients(grads) {
      t += 1;
      const attrs = {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        lr,
        weightDecay: 0,
        gradScale: 1,
        c1: 1 - 0.9 ** t,
        c2: 1 - 0.999 ** t,
      };
      for (const { p, m, v } of slots) {
        const g = grads[p.name];
        if (!g) continue;
        const [p1, m1, v1] = adamwStep(p, m, v, g, attrs);
        p.assign(p1);
        m.assign(m1);
        v.assign(v1);
        tf.dispose([p1, m1, v1]);
      }
    },
  };
}

/** Adapter options from the command line: r=8, α=16, q,v (or every linear layer), dropout. */
function adapterOptions() {
  return {
    r: 8,
    lora_alpha: 16,
    lora_dropout: Number(arg('--dropout', '0')),
    target_modules:
      arg('--targets', 'qv') === 'all-linear'
        ? ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
        : ['q_proj', 'v_proj'],
  };
}

/** batch × SEQ token ids from a fixed LCG (the same ids in every child process). */
function randomIds(batch) {
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return Array.from({ length: batch }, () =>
    Array.from({ length: SEQ }, () => Math.floor(rand() * CONFIG.vocab_size)),
  );
}

/**
 * Time `steps` calls of `fn` after one warm-up call (kernel set-up, heap growth, optimizer slots):
 * the child's JSON record of wall and CPU time per call, tokens/s and memory (tf: the child's tfjs).
 */
function timed(tf, fn, steps, batch) {
  fn();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = fn();
  const ms = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  return {
    tokensPerSecond: (batch * SEQ) / (ms / 1000),
    msPerStep: ms,
    cpuMsPerStep: cpuMs,
    tokensPerCpuSecond: (batch * SEQ) / (cpuMs / 1000),
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heapMiB: tf.memory().numBytes / 2 ** 20,
    loss,
  };
}

/** One measurement in this process; prints one JSON line. */
async function child() {
  const method = arg('--child');
  const batch = Number(arg('--batch', '4'));
  const steps = Number(arg('--steps', '3'));
  if (method === 'lorahub') return loraHubChild(batch, steps);
  const tf = await import('@tensorflow/tfjs-core');
  const { blasStatus, initBackend } = await import('@hydralora/gpu-backend');
  const { AdapterModel } = await import('@hydralora/core-adapters');
  const { createModel } = await import('../dist/index.js');
  await initBackend({ backend: 'wasm' });
  // Full fine-tuning is a method like the others: injecting `full` makes the model's weights trainable.
  const model = createModel(CONFIG, { seed: 0 });
  const adapters = AdapterModel.of(model);
  adapters.add(method, {
    method,
    ...adapterOptions(),
    ...(method === 'hydra' ? { num_heads: 4 } : {}),
    ...(BASELINE_OPTIONS[method] ?? {}),
  });
  const vars = adapters.trainableVariables();
  const optimizer = await fusedAdam(vars);
  const ids = randomIds(batch);
  let seed = 0;
  const named = [...adapters.namedVariables()];
  const step = () => {
    const options = { training: true, dropoutSeed: seed };
    const { value, grads } = tf.variableGrads(() => {
      if (!WITH_AUX.has(method)) return model.loss(ids, ids, options);
      const { loss, auxLoss } = model.lossWithAux(ids, ids, options);
      return auxLoss ? tf.add(loss, auxLoss) : loss;
    }, vars);
    optimizer.applyGradients(grads);
    // the method's step hook, as the trainer calls it (AdaLoRA's importance update and masking)
    adapters.afterStep({
      grads: new Map(named.map(([n, v]) => [n, grads[v.name]])),
      step: seed,
      totalSteps: steps + 1,
    });
    seed++;
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) throw new Error(`${method}: loss is ${loss}`);
    return loss;
  };
  const out = {
    method,
    batch,
    blas: blasStatus().active,
    ...timed(tf, step, steps, batch),
    trainable: vars.reduce((n, v) => n + v.size, 0),
  };
  // AdaLoRA: the triplets its allocation kept (evidence that the hook ran in the timed steps)
  const masks = [...adapters.moduleLayers().values()].map((l) => l.rankMask).filter(Boolean);
  if (masks.length) out.keptTriplets = `${masks.flat().filter(Boolean).length}/${masks.flat().length}`;
  if (process.argv.includes('--profile')) {
    const info = await tf.profile(() => step());
    const byKernel = new Map();
    const byProduct = new Map();
    let total = 0;
    for (const k of info.kernels) {
      const t = await k.kernelTimeMs;
      const ms = typeof t === 'number' ? t : 0;
      total += ms;
      byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
      if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') {
        const key = k.inputShapes.map((s) => `[${s}]`).join('·');
        const e = byProduct.get(key) ?? [0, 0];
        byProduct.set(key, [e[0] + 1, e[1] + ms]);
      }
    }
    out.profile = {
      kernelMs: total,
      peakTensorMiB: info.peakBytes / 2 ** 20,
      top: [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12),
      products: [...byProduct.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, 12),
    };
  }
  console.log(JSON.stringify(out));
}

/**
 * One LoraHub search evaluation, as `loraHub` runs it after the first: compose the K source LoRAs
 * with new weights on the host (the trainer's `composeLoraTensors`), assign the result to the
 * composed adapter's variables (`assignAdapterTensors`), and the mean loss over the batch (no
 * gradient). Prints the child's JSON line with `msPerStep` = ms per evaluation.
 */
async function loraHubChild(batch, steps) {
  const tf = await import('@tensorflow/tfjs-core');
  const { blasStatus, initBackend } = await import('@hydralora/gpu-backend');
  const { AdapterModel, adapterTensors, assignAdapterTensors, loadAdapterTensors, parseAdapterConfig } =
    await import('@hydralora/core-adapters');
  const { createModel } = await import('../dist/index.js');
  // @hydralora/trainer depends on this package, so it is imported from its build, not declared
  const trainerBuild = new URL('../../trainer/dist/index.js', import.meta.url);
  if (!existsSync(fileURLToPath(trainerBuild)))
    throw new Error(
      `lorahub: ${fileURLToPath(trainerBuild)} does not exist; build @hydralora/trainer first (pnpm build)`,
    );
  const { composeLoraTensors } = await import(trainerBuild.href);
  await initBackend({ backend: 'wasm' });
  const model = createModel(CONFIG, { seed: 0 });
  const adapters = AdapterModel.of(model);
  const config = parseAdapterConfig({ method: 'lora', ...adapterOptions() });
  // K "trained" LoRAs: seeded random A and B, held on the host as loraHub holds the read files
  const sources = [];
  for (let k = 0; k < LORAHUB_K; k++) {
    adapters.add(`src${k}`, config);
    let i = 0;
    for (const v of adapters.namedVariables(`src${k}`).values())
      tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.02, 'float32', 100 * k + i++)));
    sources.push(adapterTensors(adapters, `src${k}`));
    adapters.deleteAdapter(`src${k}`);
  }
  const weightsAt = (e) => Array.from({ length: LORAHUB_K }, (_, k) => Math.sin(1 + e * LORAHUB_K + k));
  loadAdapterTensors(model, config, composeLoraTensors(sources, weightsAt(0)), {
    adapter: 'lorahub',
    source: 'bench',
    weightsFile: 'bench',
  });
  const ids = randomIds(batch);
  let e = 0;
  const evaluation = () => {
    e += 1;
    assignAdapterTensors(adapters, 'lorahub', composeLoraTensors(sources, weightsAt(e)), {
      weightsFile: 'bench',
    });
    const l = tf.tidy(() => model.loss(ids, ids));
    const loss = l.dataSync()[0];
    l.dispose();
    if (!Number.isFinite(loss)) throw new Error(`lorahub: loss is ${loss}`);
    return loss;
  };
  console.log(
    JSON.stringify({
      method: 'lorahub',
      batch,
      k: LORAHUB_K,
      blas: blasStatus().active,
      ...timed(tf, evaluation, steps, batch),
      trainable: adapters.parameterCount('lorahub').trainable,
    }),
  );
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return {
      error: `${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
}

function tfjs(method, blas, batch, steps, extra = []) {
  return run(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      '--child',
      method,
      '--batch',
      String(batch),
      '--steps',
      String(steps),
      ...extra,
    ],
    {
      HYDRALORA_BLAS: blas ? (process.env.HYDRALORA_BLAS ?? '') : 'off',
    },
  );
}

/**
 * PyTorch's step. `split` 'blas' gives the cores to OpenBLAS (torch intra-op 1), 'torch' to torch's
 * intra-op pool (OpenBLAS 1): intra-op × BLAS threads never exceed the cores, and the caller runs
 * both and keeps the faster (which one wins depends on the machine).
 */
function torch(method, batch, steps, split = 'blas') {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return { error: 'PyTorch not available (no /usr/bin/python3)' };
  const cores = String(os.availableParallelism());
  const [intra, blasThreads] = split === 'blas' ? ['1', cores] : [cores, '1'];
  const r = run(
    python,
    [
      'torch_step.py',
      '--method',
      method,
      '--batch',
      String(batch),
      '--steps',
      String(steps),
      '--threads',
      intra,
    ],
    {
      LD_LIBRARY_PATH: '/usr/lib/x86_64-linux-gnu/openblas-pthread',
      OPENBLAS_NUM_THREADS: blasThreads,
      OMP_NUM_THREADS: intra,
    },
  );
  return r.error ? r : { ...r, setting: `${intra} intra-op × ${blasThreads} BLAS threads` };
}

async function orchestrate() {
  const steps = Number(arg('--steps', '4'));
  const { blasStatus, initBackend } = await import('@hydralora/gpu-backend');
  await initBackend({ backend: 'wasm' });
  const blas = blasStatus();
  const load = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
  const uptime = () => {
    try {
      return execFileSync('uptime', { encoding: 'utf8' }).trim();
    } catch {
      return `load average: ${load()}`;
    }
  };
  const header = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
    node: process.version,
    blas: blas.path
      ? `${blas.vendor} ${blas.path} (${blas.config}), ${blas.threads} threads`
      : `none (${blas.reason})`,
    uptimeBefore: uptime(),
  };
  console.log(`# ${header.date} — ${header.machine}, Node ${header.node}`);
  console.log(`BLAS: ${header.blas}`);
  console.log(`uptime before: ${header.uptimeBefore}`);
  console.log(
    `config: hidden 256, 8 layers, 8 heads / 4 KV, ffn 688, vocab 8000, seq ${SEQ}; step = fwd + bwd + Adam; ${steps} timed steps after 1 warm-up, one process each; BLAS and PyTorch run twice each, alternating, the faster run shown (PyTorch once with the cores on OpenBLAS, once on its intra-op pool)\n`,
  );

  const rows = [];
  const fmt = (r) =>
    r.error
      ? r.error
      : `${r.tokensPerSecond.toFixed(0).padStart(5)} tokens/s  ${r.msPerStep.toFixed(0).padStart(5)} ms/step  ${r.tokensPerCpuSecond.toFixed(0).padStart(5)} tokens/CPU-s  peak RSS ${r.peakRssMiB.toFixed(0).padStart(4)} MiB`;
  for (const method of ['lora', 'hydra', 'full']) {
    // BLAS and PyTorch twice each, alternating (the faster run of each counts: the machine may be
    // shared), pure wasm once in between
    const best = (a, b) => (a.error ? b : b.error || a.tokensPerSecond >= b.tokensPerSecond ? a : b);
    const noBlas = { error: 'no BLAS library: BLAS path not measured' };
    const blas1 = blas.path ? tfjs(method, true, 4, steps) : noBlas;
    const pt1 = torch(method, 4, steps);
    const pure = tfjs(method, false, 4, Math.max(2, Math.ceil(steps / 2)));
    const blas2 = blas.path ? tfjs(method, true, 4, steps) : noBlas;
    const pt2 = pt1.error ? pt1 : torch(method, 4, steps, 'torch');
    const withBlas = best(blas1, blas2);
    const pt = best(pt1, pt2);
    rows.push({
      method,
      blas: withBlas,
      wasm: pure,
      torch: pt,
      runs: { blas: [blas1, blas2], torch: [pt1, pt2] },
    });
    console.log(`${method} (batch 4 × ${SEQ})`);
    console.log(`  tfjs wasm + BLAS  ${fmt(withBlas)}`);
    console.log(`  tfjs pure wasm    ${fmt(pure)}`);
    console.log(`  PyTorch ${pt.torch ?? ''}`.padEnd(19) + fmt(pt) + (pt.setting ? `  (${pt.setting})` : ''));
    // wall-clock ratio, and the ratio of tokens per CPU-second of each process (less sensitive to
    // other processes on a shared machine)
    const ratio = (a, b) =>
      a.error || b.error
        ? 'n/a'
        : `${(a.tokensPerSecond / b.tokensPerSecond).toFixed(2)}× (CPU ${(a.tokensPerCpuSecond / b.tokensPerCpuSecond).toFixed(2)}×)`;
    console.log(
      `  BLAS / PyTorch ${ratio(withBlas, pt)}   pure wasm / PyTorch ${ratio(pure, pt)}   BLAS / pure wasm ${ratio(withBlas, pure)}`,
    );
  }
  // HydraLoRA / LoRA: both adapters in one process, steps alternating (robust to load drift)
  const pairRow = (extra) =>
    run(process.execPath, [fileURLToPath(import.meta.url), '--pair', '--rounds', String(steps), ...extra], {
      HYDRALORA_BLAS: blas.path ? (process.env.HYDRALORA_BLAS ?? '') : 'off',
    });
  const pairs = {
    qv: pairRow([]),
    // the trainer's defaults: every linear layer, dropout 0.05 (the fused A|gate product is then off)
    allLinear: pairRow(['--targets', 'all-linear', '--dropout', '0.05']),
  };
  const fmtPair = (p) =>
    p.error
      ? p.error
      : `${p.wall.toFixed(2)} (CPU ${p.cpu.toFixed(2)}; per round ${p.wallAll.map((x) => x.toFixed(2)).join(', ')})`;
  const torchPair =
    rows[0].torch.error || rows[1].torch.error
      ? 'n/a'
      : (rows[1].torch.msPerStep / rows[0].torch.msPerStep).toFixed(2);
  console.log(
    `\nHydraLoRA N=4 / LoRA whole-step time, tfjs ${blas.path ? '+ BLAS' : 'pure wasm'}, alternating steps in one process (median of ${steps} rounds):`,
  );
  console.log(`  q,v, r=8:                                ${fmtPair(pairs.qv)}`);
  console.log(`  all-linear, r=8, dropout 0.05 (trainer): ${fmtPair(pairs.allLinear)}`);
  console.log(`  PyTorch, q,v (separate processes above): ${torchPair}`);

  // throughput of the other baselines (tfjs only: torch_step.py has LoRA, HydraLoRA and full)
  console.log(
    `\nother baselines (batch 4 × ${SEQ}, tfjs ${blas.path ? 'wasm + BLAS' : 'pure wasm'}, one run each)`,
  );
  const baselines = {};
  for (const method of Object.keys(BASELINE_OPTIONS)) {
    baselines[method] = tfjs(method, Boolean(blas.path), 4, steps);
    const r = baselines[method];
    console.log(
      `  ${method.padEnd(14)} ${fmt(r)}${r.error ? '' : `  trainable ${r.trainable}`}${r.keptTriplets ? ` (orthogonality term and rank allocation in every step; ${r.keptTriplets} triplets kept)` : ''}`,
    );
  }
  // LoraHub trains nothing: its cost is (search evaluations) × (one evaluation), measured here
  baselines.lorahub = tfjs('lorahub', Boolean(blas.path), 4, steps);
  {
    const r = baselines.lorahub;
    console.log(
      `  ${'lorahub'.padEnd(14)} ${r.error ? r.error : `${fmt(r).replace('ms/step', 'ms/eval')}  trainable ${r.trainable}`}`,
    );
    console.log(
      `  (lorahub: one search evaluation, not a training step: the ${LORAHUB_K} LoRAs r=8 on q,v composed on the host, assigned to the composed adapter, forward loss at batch 4 × ${SEQ}; the paper's search is 40 evaluations${r.error ? '' : `, ${((40 * r.msPerStep) / 1000).toFixed(1)} s here`})`,
    );
  }

  console.log(`\nbatch 8 × ${SEQ}, LoRA`);
  const big = tfjs('lora', Boolean(blas.path), 8, 2);
  const bigTorch = torch('lora', 8, 2);
  console.log(`  tfjs ${blas.path ? 'wasm + BLAS' : 'pure wasm  '}  ${fmt(big)}`);
  console.log(`  PyTorch           ${fmt(bigTorch)}`);

  let profile = null;
  if (blas.path) {
    const p = tfjs('lora', true, 4, 1, ['--profile']);
    profile = p.profile ?? p.error;
    if (p.profile) {
      console.log(
        `\nprofile of one LoRA step, wasm + BLAS (tf.profile; kernel time ${p.profile.kernelMs.toFixed(0)} ms of ${p.msPerStep.toFixed(0)} ms wall; peak tensor memory ${p.profile.peakTensorMiB.toFixed(0)} MiB):`,
      );
      for (const [name, ms] of p.profile.top)
        console.log(`  ${name.padEnd(22)} ${ms.toFixed(1).padStart(7)} ms`);
    }
  }
  const uptimeAfter = uptime();
  console.log(`\nuptime after: ${uptimeAfter}`);

  const jsonPath = arg('--json');
  if (jsonPath) {
    writeFileSync(
      `${jsonPath}.tmp`,
      `${JSON.stringify({ ...header, uptimeAfter, steps, rows, pairs, baselines, batch8: { tfjs: big, torch: bigTorch }, profile }, null, 2)}\n`,
    );
    renameSync(`${jsonPath}.tmp`, jsonPath);
  }
}
