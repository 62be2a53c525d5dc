import { initBackend } from '@hydralora/gpu-backend';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseKRange, runSweep } from '../sweep.js';
import { intOption } from '../util/options.js';
import { embeddedOptions, progressHooks } from './embedded.js';
import { commandLine, seedCount } from './repro.js';

export function register(program: Command): void {
  embeddedOptions(
    program
      .command('sweep')
      .description(
        "the paper's score-against-K figure (Figure 8 in arXiv v2) on the embedded default: HydraLoRA with N = K B heads for each K, exact match against K; writes sweep.json, sweep.md and sweep.html",
      )
      .addOption(
        new Option('--k <range>', 'K values: a range 1..6 or a list 2,4,8')
          .argParser((v: string) => {
            try {
              return parseKRange(v);
            } catch (error) {
              throw new InvalidArgumentError((error as Error).message);
            }
          })
          .default([1, 2, 3, 4, 5, 6], '1..6'),
      )
      .addOption(
        new Option('--seeds <n>', 'number of seeds (0..n-1)')
          .argParser(seedCount('--seeds'))
          .default([0], '1'),
      )
      .option('--r <n>', 'rank of A and of each B head', intOption('--r'), 8)
      .option('--out <dir>', 'output directory', 'runs/sweep'),
  ).action(async (o) => {
    await initBackend();
    const { stop, ...hooks } = progressHooks(!!(o.json || o.quiet));
    const result = await runSweep({ ...o, ks: o.k, commandLine: commandLine(), ...hooks }).finally(stop);
    if (o.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`\n${result.table}\n`);
      console.log(
        `results: ${result.files.results}\ntable: ${result.files.markdown}\nreport: ${result.files.report}\n(${(result.seconds / 60).toFixed(1)} min)`,
      );
    }
  });
}
