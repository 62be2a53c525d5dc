#!/usr/bin/env node
/**
 * HydraLoRA / LoRA cost of a whole training step through the trainer's loop, as a user runs it:
 * `hydralora train` on the embedded tiny base, r = 8, every linear layer (the CLI's default
 * target_modules), dropout 0.05, 40 steps, micro-batch 8, max length 128. LoRA and HydraLoRA N=4
 * alternate (`--rounds` times each, default 2) so that load from other processes falls on both;
 * each run's tokens/s is the median of its per-step figures in metrics.jsonl, steps 6–40 (the first
 * steps set up kernels and the heap), and so is its target tokens per CPU-second (`cpuSeconds`). Prints one table and the ratio; `--json FILE` also writes them.
 *
 *   pnpm build && node apps/trainer/bench/train-loop.mjs [--rounds 2] [--steps 40] [--json out.json]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli.js');
const base = path.join(here, '..', 'assets', 'tiny-base');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('--rounds', '2'));
const steps = Number(arg('--steps', '40'));
const skip = 5;

// Alpaca-style records of the demo's lengths, from a seeded generator (the ratio depends on the
// token counts, not on the words).
const words =
  'the of and a to in is was he for it with as his on be at by had not are but from or have an they which one you were her all she there would their we him been has when who will more no if out so said what up its about into than them can only other new some could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three'.split(
    ' ',
  );
let s = 7;
const rand = () => {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return s / 2 ** 32;
};
const phrase = (n) => Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
const dir = mkdtempSync(path.join(os.tmpdir(), 'hydralora-bench-loop-'));
const data = path.join(dir, 'data.jsonl');
writeFileSync(
  data,
  Array.from({ length: 400 }, () =>
    JSON.stringify({ instruction: phrase(12), input: phrase(10), output: phrase(8) }),
  ).join('\n'),
);

function runOnce(method) {
  const out = path.join(dir, `run-${method}`);
  const args = [cli, 'train', '--model', base, '--data', data, '--method', method, '--r', '8'];
  if (method === 'hydra') args.push('--num-heads', '4');
  args.push('--steps', String(steps), '--checkpoint-every', '0', '--out', out, '--overwrite', '--quiet');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`hydralora train --method ${method} failed (${r.status}):\n${r.stderr}`);
  const logs = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => e.event === 'step' && e.step > skip);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  // tokens per wall second, and per CPU second of the process (less disturbed by other processes)
  return {
    wall: median(logs.map((e) => e.tokensPerSecond)),
    cpu: median(logs.map((e) => e.tokens / e.cpuSeconds)),
  };
}

const result = { lora: [], hydra: [] };
const load0 = os.loadavg()[0];
try {
  for (let i = 0; i < rounds; i++) {
    result.lora.push(runOnce('lora'));
    result.hydra.push(runOnce('hydra'));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const med = (xs) => {
  const o = [...xs].sort((a, b) => a - b);
  return o.length % 2 ? o[(o.length - 1) / 2] : (o[o.length / 2 - 1] + o[o.length / 2]) / 2;
};
const ratios = result.lora.map((l, i) => l.wall / result.hydra[i].wall);
const cpuRatios = result.lora.map((l, i) => l.cpu / result.hydra[i].cpu);
console.log(
  `# ${new Date().toISOString()} — ${os.cpus()[0]?.model}, ${os.availableParallelism()} cores; load ${load0.toFixed(2)} → ${os.loadavg()[0].toFixed(2)}`,
);
console.log(
  `hydralora train on the tiny base, r=8, all linear layers, dropout 0.05, ${steps} steps, ${rounds} alternating rounds`,
);
console.log(
  `  LoRA r=8            ${result.lora.map((x) => x.wall.toFixed(0)).join(', ')} tokens/s (median step); ${result.lora.map((x) => x.cpu.toFixed(0)).join(', ')} target tokens/CPU-s`,
);
console.log(
  `  HydraLoRA r=8 N=4   ${result.hydra.map((x) => x.wall.toFixed(0)).join(', ')} tokens/s (median step); ${result.hydra.map((x) => x.cpu.toFixed(0)).join(', ')} target tokens/CPU-s`,
);
console.log(
  `  HydraLoRA/LoRA step time: median ${med(ratios).toFixed(3)}, mean ${mean(ratios).toFixed(3)} (per round ${ratios.map((r) => r.toFixed(3)).join(', ')}; target ≤ 1.1)`,
);
console.log(
  `  HydraLoRA/LoRA CPU time per token: median ${med(cpuRatios).toFixed(3)}, mean ${mean(cpuRatios).toFixed(3)} (per round ${cpuRatios.map((r) => r.toFixed(3)).join(', ')})`,
);
// The floor the ratio cannot go under unless HydraLoRA's extra products run faster per
// multiply-add than the rest of the step: multiply-adds per token of a training step (frozen
// base: dX only; adapters: forward, dX and dW; attention's two products each way; tied LM head),
// from the base's config.
const cfg = JSON.parse(readFileSync(path.join(base, 'config.json'), 'utf8'));
function macsPerToken(method, seq, r = 8, heads = 4) {
  const h = cfg.hidden_size;
  const kv = (h / cfg.num_attention_heads) * cfg.num_key_value_heads;
  const f = cfg.intermediate_size;
  // [in, out] of q, k, v, o, gate, up, down
  const linears = [
    [h, h],
    [h, kv],
    [h, kv],
    [h, h],
    [h, f],
    [h, f],
    [f, h],
  ];
  let perLayer = 0;
  for (const [k, d] of linears) {
    perLayer += 2 * k * d; // base forward + dX
    perLayer += method === 'lora' ? 3 * r * (k + d) : 3 * (r * k + heads * r * d + heads * k);
  }
  perLayer += 3 * 2 * seq * h; // QKᵀ and A·V, forward + two backward products (full square)
  return cfg.num_hidden_layers * perLayer + 2 * h * cfg.vocab_size;
}
const floor = (seq) => (macsPerToken('hydra', seq) / macsPerToken('lora', seq)).toFixed(3);
console.log(
  `  multiply-add ratio of the two steps (the ratio if every product ran at one speed and nothing else took time): ${floor(64)} at 64 tokens per sequence, ${floor(128)} at 128`,
);
const json = arg('--json');
if (json)
  writeFileSync(json, `${JSON.stringify({ steps, rounds, ...result, ratios, cpuRatios }, null, 2)}\n`);
