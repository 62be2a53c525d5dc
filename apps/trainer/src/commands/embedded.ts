/**
 * What the commands on the embedded default (demo, repro, sweep) share: the embedded base model,
 * their common options (defaults as `hydralora demo`) and the progress hooks on stderr.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import type { RunOptions } from '../run-embedded.js';
import { intOption, numberOption } from '../util/options.js';
import { createMultiProgress, createProgress, type Progress } from '../util/progress.js';

/** The embedded base model shipped with the app (see assets/tiny-base/PRETRAIN.json). */
export const EMBEDDED_MODEL = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../assets/tiny-base',
);

/** The options the experiments on the embedded default share (defaults as `hydralora demo`). */
export function embeddedOptions(command: Command, defaults: { steps?: number } = {}): Command {
  return command
    .addOption(
      new Option('--model <dir>', 'base model directory').default(
        EMBEDDED_MODEL,
        'the embedded tiny base (assets/tiny-base)',
      ),
    )
    .option('--steps <n>', 'optimiser steps per run', intOption('--steps'), defaults.steps ?? 250)
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
      200,
    )
    .option('--micro-batch-size <n>', 'examples per step', intOption('--micro-batch-size'), 16)
    .option('--lr <x>', 'peak learning rate', numberOption('--lr'), 3e-3)
    .option('--k-max <n>', 'largest K for the SSE elbow', intOption('--k-max'), 8)
    .option('--json', 'print the results as JSON')
    .option('--quiet', 'print only the result (no progress or info lines)');
}

/**
 * Progress bars per run label, on stderr; info lines unless --json. With `concurrent` runs (worker
 * processes) one bar per run that is in flight.
 */
export function progressHooks(
  json: boolean,
  concurrent = false,
): Pick<RunOptions, 'onInfo' | 'onStep'> & { stop(): void } {
  if (concurrent) {
    const multi = createMultiProgress(json);
    return {
      stop: () => multi.stop(),
      onInfo: (m) => {
        if (!json) multi.log(m);
      },
      onStep: (l, log, total) =>
        multi.update(l, log.step, total, { loss: log.loss, tps: log.tokensPerSecond }),
    };
  }
  let bar: Progress | undefined;
  let label = '';
  return {
    stop: () => bar?.stop(),
    onInfo: (m) => {
      if (!json) process.stderr.write(`${m}\n`);
    },
    onStep: (l, log, total) => {
      if (l !== label) {
        bar?.stop();
        label = l;
        bar = createProgress(total, json, l);
      }
      bar!.update(log.step, { loss: log.loss, tps: log.tokensPerSecond });
      if (log.step === total) bar!.stop();
    },
  };
}
