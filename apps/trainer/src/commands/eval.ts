/**
 * `hydralora eval TASK --data PATH [--model DIR] [--adapter DIR] [--limit N] [--shots K] [--json]`
 * and `hydralora eval humaneval --data PATH --samples FILE [--json]` (no model: scores the given
 * completions) in a bubblewrap sandbox (`--unsafe-no-sandbox` runs it without one). The suites live in @hydralora/eval-suites; this file only parses flags, finds the
 * data, loads the model through the injectable `loadEvalModel` hook and prints the result.
 */
import {
  createProgressBar,
  type EvalModel,
  formatPaperTable,
  formatResultsJson,
  TaskRegistry as Registry,
  registerBuiltinTasks,
  resolveDataDir,
  silentProgress,
  type TaskRegistry,
  type TaskResult,
  writeFileAtomic,
} from '@hydralora/eval-suites';
import { type Command, InvalidArgumentError } from 'commander';
import { UserError } from '../util/errors.js';

/** Loads the model under evaluation (wired to @hydralora/models by the trainer). */
export type LoadEvalModel = (source: { model: string; adapter?: string }) => Promise<EvalModel>;

/** What the eval command can be given besides its flags. */
export interface EvalCommandHooks {
  /** Loads `--model DIR` (+ `--adapter DIR`). Without it, model paths throw. */
  loadEvalModel?: LoadEvalModel;
  /** The tasks (default: the built-in ones). */
  registry?: TaskRegistry;
}

/** The parsed flags. */
export interface EvalCommandOptions {
  data?: string;
  model?: string;
  adapter?: string;
  samples?: string;
  limit?: number;
  shots?: number;
  numSamples?: number;
  batchSize?: number;
  seed?: number;
  json?: boolean;
  out?: string;
  progress?: boolean;
  unsafeNoSandbox?: boolean;
  quiet?: boolean;
}

const notWired: LoadEvalModel = async () => {
  throw new UserError('model loading is wired by the trainer: this build has no loadEvalModel hook');
};

function integer(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${flag} must be an integer >= ${min}, got '${value}'`);
    return n;
  };
}

/** Runs one task as the command does and returns its result (the command prints it). */
export async function runEvalCommand(
  task: string,
  options: EvalCommandOptions,
  hooks: EvalCommandHooks = {},
): Promise<TaskResult> {
  const registry = hooks.registry ?? registerBuiltinTasks(new Registry());
  if (!registry.has(task))
    throw new UserError(`unknown eval task '${task}'; expected one of ${registry.names().join(', ')}`);
  const data = resolveDataDir(options.data);
  if (!data) throw new UserError('--data: no data location (pass --data PATH or set HYDRALORA_DATA_DIR)');
  if (options.samples && task !== 'humaneval')
    throw new UserError(`--samples only applies to humaneval, not '${task}'`);
  if (options.samples && options.model) throw new UserError('--samples and --model exclude each other');
  if (options.adapter && !options.model) throw new UserError('--adapter needs --model');
  let model: EvalModel | undefined;
  if (options.model) {
    model = await (hooks.loadEvalModel ?? notWired)({
      model: options.model,
      ...(options.adapter ? { adapter: options.adapter } : {}),
    });
  } else if (!options.samples) {
    throw new UserError(`eval ${task} needs --model DIR${task === 'humaneval' ? ' or --samples FILE' : ''}`);
  }
  return registry.get(task).run({
    data,
    model,
    samples: options.samples,
    limit: options.limit,
    shots: options.shots,
    samplesPerProblem: options.numSamples,
    batchSize: options.batchSize,
    seed: options.seed,
    unsafeNoSandbox: options.unsafeNoSandbox === true,
    progress:
      options.progress === false || options.quiet || !process.stderr.isTTY
        ? silentProgress
        : createProgressBar(),
  });
}

/** Adds `eval` to the program; `hooks.loadEvalModel` is how the trainer wires model loading. */
export function register(program: Command, hooks: EvalCommandHooks = {}): void {
  const tasks = (hooks.registry ?? registerBuiltinTasks(new Registry())).names();
  program
    .command('eval')
    .description(`evaluate on ${tasks.join(', ')} as the HydraLoRA paper does`)
    .argument('<task>', tasks.join(' | '))
    .option('--data <path>', 'data folder or file (default: env HYDRALORA_DATA_DIR)')
    .option('--model <dir>', 'model folder to evaluate')
    .option('--adapter <dir>', 'adapter folder applied to --model')
    .option(
      '--samples <file>',
      'humaneval: score a samples file (task_id, completion per line) instead of a model',
    )
    .option(
      '--limit <n>',
      'at most N examples (per subject for mmlu, per task for bbh)',
      integer('--limit', 1),
    )
    .option('--shots <k>', 'in-context examples (default: mmlu 0, gsm8k 8, bbh 3)', integer('--shots', 0))
    .option(
      '--num-samples <n>',
      'humaneval with a model: completions per problem',
      integer('--num-samples', 1),
    )
    .option('--batch-size <n>', 'prompts per model call', integer('--batch-size', 1))
    .option('--seed <n>', 'seed of sampled generation (default: 0)', integer('--seed', 0))
    .option(
      '--unsafe-no-sandbox',
      'humaneval: run generated code without the bubblewrap sandbox (it can read your files and use the network)',
    )
    .option('--json', 'print the result as JSON')
    .option('--out <file>', 'also write the JSON result to FILE (atomically)')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (task: string, options: EvalCommandOptions) => {
      const result = await runEvalCommand(task, options, hooks);
      if (options.out) await writeFileAtomic(options.out, formatResultsJson(result));
      if (options.json) {
        process.stdout.write(formatResultsJson(result));
        return;
      }
      const metrics = Object.entries(result.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`);
      process.stdout.write(`${task}: ${metrics.join(', ')} (${result.count} scored)\n`);
      if (task !== 'perplexity')
        process.stdout.write(
          `\n${formatPaperTable([{ name: options.model ?? options.samples ?? task, results: [result] }])}\n`,
        );
    });
}
