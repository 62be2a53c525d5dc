/**
 * `hydralora lorahub --model DIR --adapters D1,D2,… --data FILE --out DIR [--examples N]
 * [--max-evaluations N] [--l1 X] [--algorithm NAME] [--json]`: compose trained LoRA adapters with
 * LoraHub's gradient-free weight search on a few examples of a new task, and save the composed
 * LoRA (PEFT layout) with `lorahub.json` (the weights and every evaluation). The logic lives in
 * @hydralora/trainer (`loraHub`); this file parses flags.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '@hydralora/common';
import { saveAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { loadPretrained } from '@hydralora/models';
import { LORAHUB_ALGORITHMS, type LoraHubAlgorithm, loraHub, readInstructionFile } from '@hydralora/trainer';
import type { Command } from 'commander';
import { UsageError } from '../util/errors.js';
import { numberFlag } from './generate.js';

export interface LoraHubFlags {
  model: string;
  adapters: string;
  data: string;
  out: string;
  examples?: string;
  maxEvaluations?: string;
  l1?: string;
  algorithm?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface LoraHubSummary {
  adapters: string[];
  weights: number[];
  loss: number;
  baseLoss: number;
  averageLoss: number;
  evaluations: number;
  examples: number;
  out: string;
}

export async function runLoraHub(flags: LoraHubFlags): Promise<LoraHubSummary> {
  const adapters = flags.adapters
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (adapters.length < 2)
    throw new UsageError(`--adapters expects at least 2 directories, got '${flags.adapters}'`);
  const n = numberFlag('--examples', flags.examples, true) ?? 20;
  if (n < 1) throw new UsageError(`--examples expects an integer ≥ 1, got '${flags.examples}'`);
  const maxEvaluations = numberFlag('--max-evaluations', flags.maxEvaluations, true) ?? 40;
  if (maxEvaluations < 1)
    throw new UsageError(`--max-evaluations expects an integer ≥ 1, got '${flags.maxEvaluations}'`);
  const l1 = numberFlag('--l1', flags.l1, false) ?? 0.05;
  if (l1 < 0) throw new UsageError(`--l1 expects a number ≥ 0, got '${flags.l1}'`);
  const algorithm = (flags.algorithm ?? 'LN_NELDERMEAD') as LoraHubAlgorithm;
  if (!LORAHUB_ALGORITHMS.includes(algorithm))
    throw new UsageError(
      `--algorithm expects one of ${LORAHUB_ALGORITHMS.join(', ')}, got '${flags.algorithm}'`,
    );
  // the paper fits the weights on the first few examples of the task
  const examples = readInstructionFile(flags.data).slice(0, n);
  await initBackend();
  const pretrained = await loadPretrained(flags.model);
  try {
    const result = await loraHub(pretrained, {
      adapters,
      examples,
      maxEvaluations,
      l1,
      algorithm,
      onEvaluation: (e) => {
        if (!flags.quiet && !flags.json)
          process.stderr.write(
            `lorahub ${e.index}/${maxEvaluations} loss ${e.loss.toFixed(4)} weights [${e.weights.map((w) => w.toFixed(3)).join(', ')}]\n`,
          );
      },
    });
    mkdirSync(flags.out, { recursive: true });
    await saveAdapter(result.adapter, flags.out, { adapter: 'lorahub' });
    const summary: LoraHubSummary = {
      adapters: adapters.map((a) => path.resolve(a)),
      weights: result.weights,
      loss: result.loss,
      baseLoss: result.history[0]!.loss,
      averageLoss: result.averageLoss,
      evaluations: result.history.length,
      examples: examples.length,
      out: flags.out,
    };
    writeFileAtomicSync(
      path.join(flags.out, 'lorahub.json'),
      `${JSON.stringify({ ...summary, l1, algorithm, history: result.history }, null, 2)}\n`,
    );
    return summary;
  } finally {
    pretrained.model.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('lorahub')
    .description(
      'compose trained LoRA adapters with weights found by gradient-free search on a few examples (LoraHub), and save the composed LoRA',
    )
    .requiredOption('--model <dir>', 'base model directory (the adapters were trained on it)')
    .requiredOption(
      '--adapters <dirs>',
      'comma-separated LoRA adapter directories (same r, α and target modules)',
    )
    .requiredOption(
      '--data <file>',
      'JSONL of examples of the new task (instruction/input/output or messages)',
    )
    .requiredOption('--out <dir>', 'where the composed adapter and lorahub.json are written')
    .option('--examples <n>', 'examples the weights are fitted on, the first n of --data (default: 20)')
    .option('--max-evaluations <n>', 'loss evaluations allowed (default: 40)')
    .option('--l1 <x>', 'L1 coefficient on the weights (default: 0.05)')
    .option(
      '--algorithm <name>',
      `NLopt algorithm: ${LORAHUB_ALGORITHMS.join(', ')} (default: LN_NELDERMEAD)`,
    )
    .option('--json', 'print the summary as JSON')
    .action(async (flags: LoraHubFlags) => {
      const s = await runLoraHub(flags);
      if (flags.json) console.log(JSON.stringify(s));
      else
        console.log(
          `weights ${s.weights.map((w) => w.toFixed(3)).join(', ')}; loss ${s.loss.toFixed(4)} (base ${s.baseLoss.toFixed(4)}, average of the adapters ${s.averageLoss.toFixed(4)}) after ${s.evaluations} evaluations on ${s.examples} examples; adapter: ${s.out}`,
        );
    });
}
