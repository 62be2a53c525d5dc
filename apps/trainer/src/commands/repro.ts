import { initBackend } from '@hydralora/gpu-backend';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_REPRO_METHODS, REPRO_DEFAULT_STEPS, REPRO_METHODS, runRepro } from '../repro.js';
import { autoJobs } from '../repro-pool.js';
import { intOption } from '../util/options.js';
import { embeddedOptions, progressHooks } from './embedded.js';

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

export function register(program: Command): void {
  embeddedOptions(
    program
      .command('repro')
      .description(
        "the paper's comparison on the embedded default, over several seeds with 95% intervals and paired differences: by default the base model, LoRA at HydraLoRA's parameter budget, the Table 1 pair (per-component LoRAs against one LoRA of their total rank on the mix), HydraLoRA and its router ablations (head-diversity init, sample-level routing, load-balance loss), with router diagnostics; --methods all adds LoRA r=8/16/32, LoRA-Split 4×8, the uniform gate, N=1, LoRA-MoE, (IA)³, full fine-tuning, prompt, P- and prefix tuning, AdaLoRA and LoraHub; writes results.json, results.md and report.html",
      )
      .addOption(
        new Option('--seeds <n>', 'number of seeds (0..n-1)')
          .argParser(seedCount('--seeds'))
          .default([0, 1, 2, 3, 4], '5'),
      )
      .option('--out <dir>', 'output directory', 'runs/repro')
      .option(
        '--methods <list>',
        `comma-separated method ids, or 'all': ${REPRO_METHODS.map((m) => m.id).join(', ')} (default: ${DEFAULT_REPRO_METHODS.join(',')})`,
        (v: string) => v.split(',').map((s) => s.trim()),
      )
      .option('--docs <file>', 'also write the markdown table here, e.g. docs/results/repro.md')
      .option(
        '--jobs <n|auto>',
        'trainings run at once, each in its own process (auto: one per core on wasm/cpu, as memory allows; 1 on native/GPU backends)',
        jobsOption('--jobs'),
        'auto',
      ),
    { steps: REPRO_DEFAULT_STEPS },
  ).action(async (o) => {
    const backend = await initBackend();
    const jobs = o.jobs === 'auto' ? autoJobs(backend.name) : (o.jobs as number);
    const { stop, ...hooks } = progressHooks(!!(o.json || o.quiet), jobs > 1);
    const result = await runRepro({ ...o, jobs, commandLine: commandLine(), ...hooks }).finally(stop);
    if (o.json) console.log(JSON.stringify(result, (k, v) => (k === 'history' ? undefined : v), 2));
    else {
      console.log(`\n${result.table}\n`);
      if (result.pairedTable) console.log(`${result.pairedTable}\n\n${result.pairedSummary}\n`);
      console.log(
        `results: ${result.files.results}\ntable: ${result.files.markdown}\nreport: ${result.files.report}${result.files.docs ? `\ndocs: ${result.files.docs}` : ''}\n(${(result.seconds / 60).toFixed(1)} min)`,
      );
    }
  });
}
