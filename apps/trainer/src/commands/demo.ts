import { initBackend } from '@hydralora/gpu-backend';
import type { Command } from 'commander';
import { runDemo } from '../demo.js';
import { autoJobs } from '../repro-pool.js';
import { intOption } from '../util/options.js';
import { embeddedOptions, progressHooks } from './embedded.js';
import { jobsOption } from './repro.js';

export function register(program: Command): void {
  embeddedOptions(
    program
      .command('demo')
      .description(
        'the main job on the embedded default: cluster the corpus and choose N, fine-tune HydraLoRA and an equal-size LoRA, evaluate every component, print the table and write the report',
      )
      .option('--out <dir>', 'output directory', 'runs/demo')
      .option('--seed <n>', 'seed of the corpus, initialisation and data order', intOption('--seed'), 0)
      .option('--r <n>', 'HydraLoRA rank', intOption('--r'), 8)
      .option(
        '--jobs <n|auto>',
        'training processes at once: 2 trains the LoRA in a worker process beside HydraLoRA (auto: 2 on wasm/cpu with 2+ cores and the memory, else 1)',
        jobsOption('--jobs'),
        'auto',
      ),
  ).action(async (o) => {
    const backend = await initBackend();
    const jobs = Math.min(2, o.jobs === 'auto' ? autoJobs(backend.name) : (o.jobs as number));
    const { stop, ...hooks } = progressHooks(!!(o.json || o.quiet), jobs > 1);
    const result = await runDemo({ ...o, jobs, ...hooks }).finally(stop);
    if (o.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`\n${result.table}\n\n${result.paired.summary}\n\n${result.liveness.summary}\n`);
      console.log(
        `report: ${result.reportFile}\nresults: ${result.resultsFile}\n(${(result.seconds / 60).toFixed(1)} min)`,
      );
    }
  });
}
