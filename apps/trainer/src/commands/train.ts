import { formatEnergyReport, initBackend } from '@hydralora/gpu-backend';
import type { Command } from 'commander';
import { resolveTrainConfig } from '../train/config.js';
import { finetune } from '../train/finetune.js';
import { intOption, numberOption } from '../util/options.js';
import { createProgress, type Progress } from '../util/progress.js';

function heads(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--heads expects a positive integer or 'auto', got '${value}'`);
  return n;
}

function modules(value: string): string[] | string {
  return value === 'all-linear' || /[\\^$*+?()[\]{}|]/.test(value)
    ? value
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

export function register(program: Command): void {
  program
    .command('train')
    .description(
      'fine-tune adapters (LoRA, Split, HydraLoRA, …) on instruction data; flags override --config',
    )
    .option('--model <dir>', 'base model directory (Hugging Face layout)')
    .option('--data <file>', 'training data: Alpaca-style JSON/JSONL or chat messages')
    .option('--config <file>', 'JSON or YAML config (unknown keys are rejected)')
    .option('--method <name>', 'lora | split | hydra | hydra-diverse | lora-moe | inverted-hydra')
    .option('--r <n>', 'rank', intOption('--r'))
    .option('--alpha <x>', 'LoRA alpha (scaling alpha/r)', numberOption('--alpha'))
    .option('--dropout <x>', 'dropout on the adapter input', numberOption('--dropout'))
    .option('--heads <n|auto>', "number of heads, or 'auto' for the clustering elbow", heads)
    .option('--k-max <n>', 'largest K tried by --heads auto', intOption('--k-max'))
    .option('--router <name>', 'dense | top-k | uniform | sample | task')
    .option('--target-modules <list|regex|all-linear>', 'PEFT target_modules', modules)
    .option('--aux-loss-weight <x>', 'load-balance loss weight (0 = off)', numberOption('--aux-loss-weight'))
    .option('--lr <x>', 'peak learning rate', numberOption('--lr'))
    .option('--weight-decay <x>', 'AdamW weight decay', numberOption('--weight-decay'))
    .option('--warmup-steps <n>', 'warmup steps', intOption('--warmup-steps'))
    .option('--steps <n>', 'optimiser steps (default: from --epochs)', intOption('--steps'))
    .option('--epochs <x>', 'passes over the data', numberOption('--epochs'))
    .option('--micro-batch-size <n>', 'examples per micro-batch', intOption('--micro-batch-size'))
    .option('--grad-accum-steps <n>', 'micro-batches per optimiser step', intOption('--grad-accum-steps'))
    .option('--max-length <n>', 'tokens per example', intOption('--max-length'))
    .option('--clip-norm <x>', 'gradient clipping (0 = off)', numberOption('--clip-norm'))
    .option('--seed <n>', 'seed', intOption('--seed'))
    .option('--checkpoint-every <n>', 'checkpoint interval in steps', intOption('--checkpoint-every'))
    .option('--out <dir>', 'output directory')
    .option('--resume', 'continue from the newest checkpoint in --out (same data order and optimiser state)')
    .option('--json', 'print the run summary as JSON')
    .action(async (o) => {
      const { config: file, resume, json, ...flags } = o;
      const config = resolveTrainConfig(file, flags);
      await initBackend();
      let bar: Progress | undefined;
      const result = await finetune(config, {
        resume: Boolean(resume),
        onInfo: (m) => {
          if (!json) process.stderr.write(`${m}\n`);
        },
        onStep: (log, total) => {
          bar ??= createProgress(total, json);
          bar.update(log.step, { loss: log.loss, tps: log.tokensPerSecond });
        },
      });
      bar?.stop();
      const { adapter: _a, pretrained: _p, history, ...summary } = result;
      if (json) console.log(JSON.stringify({ ...summary, finalLoss: history.at(-1)?.loss ?? null }, null, 2));
      else {
        console.log(
          `adapter saved to ${result.adapterDir} (${result.trainable} trainable parameters, ${result.basePercent.toFixed(3)}% of the base)`,
        );
        console.log(
          `${result.steps} steps, final loss ${history.at(-1)?.loss.toFixed(4)}, ${result.tokensPerSecond.toFixed(0)} tokens/s, ${(result.seconds / 60).toFixed(1)} min`,
        );
        console.log(formatEnergyReport(result.energy));
      }
    });
}
