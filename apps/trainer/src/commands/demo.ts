import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@hydralora/gpu-backend';
import type { Command } from 'commander';
import { runDemo } from '../demo.js';
import { intOption, numberOption } from '../util/options.js';
import { createProgress, type Progress } from '../util/progress.js';

/** The embedded base model shipped with the app (see assets/tiny-base/PRETRAIN.json). */
export const EMBEDDED_MODEL = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../assets/tiny-base',
);

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'the main job on the embedded default: cluster the corpus and choose N, fine-tune HydraLoRA and an equal-size LoRA, evaluate every component, print the table and write the report',
    )
    .option('--out <dir>', 'output directory', 'runs/demo')
    .option('--model <dir>', 'base model directory', EMBEDDED_MODEL)
    .option('--seed <n>', 'seed of the corpus, initialisation and data order', intOption('--seed'), 0)
    .option(
      '--per-component-train <n>',
      'training examples per component',
      intOption('--per-component-train'),
      300,
    )
    .option(
      '--per-component-test <n>',
      'held-out examples per component',
      intOption('--per-component-test'),
      50,
    )
    .option('--steps <n>', 'optimiser steps per method', intOption('--steps'), 250)
    .option('--r <n>', 'HydraLoRA rank', intOption('--r'), 8)
    .option('--micro-batch-size <n>', 'examples per step', intOption('--micro-batch-size'), 16)
    .option('--lr <x>', 'peak learning rate', numberOption('--lr'), 3e-3)
    .option('--k-max <n>', 'largest K for the elbow', intOption('--k-max'), 8)
    .option('--json', 'print the results as JSON')
    .action(async (o) => {
      await initBackend();
      let bar: Progress | undefined;
      let label = '';
      const result = await runDemo({
        ...o,
        onInfo: (m) => {
          if (!o.json) process.stderr.write(`${m}\n`);
        },
        onStep: (l, log, total) => {
          if (l !== label) {
            bar?.stop();
            label = l;
            bar = createProgress(total, o.json, l);
          }
          bar!.update(log.step, { loss: log.loss, tps: log.tokensPerSecond });
          if (log.step === total) bar!.stop();
        },
      });
      if (o.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(`\n${result.table}\n`);
        console.log(
          `report: ${result.reportFile}\nresults: ${result.resultsFile}\n(${(result.seconds / 60).toFixed(1)} min)`,
        );
      }
    });
}
