import { initBackend } from '@hydralora/gpu-backend';
import { type Command, InvalidArgumentError } from 'commander';
import { runRepro } from '../repro.js';
import { autoJobs } from '../repro-pool.js';
import type { RunOptions } from '../run-embedded.js';
import { intOption, numberOption } from '../util/options.js';
import { createMultiProgress, createProgress, type Progress } from '../util/progress.js';
import { EMBEDDED_MODEL } from './demo.js';

/** The command line as typed (arguments with spaces or quotes are single-quoted). */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  return [
    'hydralora',
    ...argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)),
  ].join(' ');
}

/** `--jobs 2` → 2; `--jobs auto` → 'auto'. */
export function jobsOption(flag: string) {
  const int = intOption(flag);
  return (value: string): number | 'auto' => {
    if (value === 'auto') return 'auto';
    const n = int(value);
    if (n < 1) throw new InvalidArgumentError(`${flag} expects a positive integer or 'auto', got '${value}'`);
    return n;
  };
}

/** `--seeds 3` → seeds 0, 1, 2. */
export function seedCount(flag: string) {
  const int = intOption(flag);
  return (value: string): number[] => {
    const n = int(value);
    if (n < 1) throw new InvalidArgumentError(`${flag} expects a positive number of seeds, got '${value}'`);
    return Array.from({ length: n }, (_, i) => i);
  };
}

/** The options the experiments on the embedded default share (defaults as `hydralora demo`). */
export function embeddedOptions(command: Command): Command {
  return command
    .option('--model <dir>', 'base model directory', EMBEDDED_MODEL)
    .option('--steps <n>', 'optimiser steps per run', intOption('--steps'), 250)
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
    .option('--micro-batch-size <n>', 'examples per step', intOption('--micro-batch-size'), 16)
    .option('--lr <x>', 'peak learning rate', numberOption('--lr'), 3e-3)
    .option('--k-max <n>', 'largest K for the SSE elbow', intOption('--k-max'), 8)
    .option('--json', 'print the results as JSON');
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

export function register(program: Command): void {
  embeddedOptions(
    program
      .command('repro')
      .description(
        "the paper's comparison on the embedded default: base, LoRA r=8/16/32, LoRA-Split 4×8, HydraLoRA and the ablations over several seeds, with 95% intervals; writes results.json, results.md and report.html",
      )
      .option('--seeds <n>', 'number of seeds (0..n-1)', seedCount('--seeds'), [0, 1, 2])
      .option('--out <dir>', 'output directory', 'runs/repro')
      .option(
        '--methods <list>',
        'comma-separated method ids: base, lora-r8, lora-r16, lora-r32, split, hydra, uniform-gate, no-moe, no-shared-a',
        (v: string) => v.split(',').map((s) => s.trim()),
      )
      .option('--docs <file>', 'also write the markdown table here, e.g. docs/results/repro.md')
      .option(
        '--jobs <n|auto>',
        'trainings run at once, each in its own process (auto: one per core on wasm/cpu, as memory allows; 1 on native/GPU backends)',
        jobsOption('--jobs'),
        'auto',
      ),
  ).action(async (o) => {
    const backend = await initBackend();
    const jobs = o.jobs === 'auto' ? autoJobs(backend.name) : (o.jobs as number);
    const { stop, ...hooks } = progressHooks(!!o.json, jobs > 1);
    const result = await runRepro({ ...o, jobs, commandLine: commandLine(), ...hooks }).finally(stop);
    if (o.json) console.log(JSON.stringify(result, (k, v) => (k === 'history' ? undefined : v), 2));
    else {
      console.log(`\n${result.table}\n`);
      console.log(
        `results: ${result.files.results}\ntable: ${result.files.markdown}\nreport: ${result.files.report}${result.files.docs ? `\ndocs: ${result.files.docs}` : ''}\n(${(result.seconds / 60).toFixed(1)} min)`,
      );
    }
  });
}
