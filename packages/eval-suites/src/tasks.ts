import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { evaluateBbh } from './bbh/evaluate.js';
import { loadBbh } from './bbh/load.js';
import { evaluateGsm8k, loadGsm8k } from './gsm8k/evaluate.js';
import { evaluateHumanEval, scoreSamples } from './humaneval/evaluate.js';
import { loadHumanEval, loadSamples } from './humaneval/load.js';
import { evaluateMmlu } from './mmlu/evaluate.js';
import { loadMmlu } from './mmlu/load.js';
import { evaluatePerplexity } from './perplexity.js';
import {
  type EvalTask,
  requireModel,
  type TaskContext,
  type TaskRegistry,
  type TaskResult,
} from './registry.js';
import { readTextFile, taskFolder } from './util/files.js';

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

/** `data` itself when it is a file, else `<data>[/<folder>]/<name>`. */
function dataFile(data: string, folder: string, name: string): string {
  if (isFile(data)) return data;
  const file = path.join(taskFolder(data, folder), name);
  if (!isFile(file)) throw new Error(`--data ${data}: expected a file or a folder holding ${folder}/${name}`);
  return file;
}

function result(
  task: string,
  metrics: Record<string, number>,
  count: number,
  details: unknown,
  config: Record<string, unknown>,
): TaskResult {
  return { task, metrics, count, details, config };
}

/** MMLU (Hendrycks et al. 2021): zero-shot by default, as the paper. */
export const mmluTask: EvalTask = {
  name: 'mmlu',
  description: 'MMLU multiple choice (official CSV folder with dev/ and test/), accuracy by argmax log-prob',
  async run(context: TaskContext) {
    const model = requireModel(context, 'mmlu');
    const data = await loadMmlu(taskFolder(context.data, 'mmlu'));
    const shots = context.shots ?? 0;
    const r = await evaluateMmlu(model, data, {
      shots,
      limitPerSubject: context.limit,
      batchSize: context.batchSize,
      progress: context.progress,
    });
    const metrics: Record<string, number> = { accuracy: r.micro, macro: r.macro };
    for (const [group, s] of Object.entries(r.groups)) metrics[group] = s.accuracy;
    return result(
      'mmlu',
      metrics,
      r.predictions.length,
      { subjects: r.subjects, groups: r.groups },
      { shots, limitPerSubject: context.limit ?? null },
    );
  },
};

/** GSM8K test split, 8-shot chain of thought. */
export const gsm8kTask: EvalTask = {
  name: 'gsm8k',
  description: 'GSM8K (JSONL; default gsm8k/test.jsonl), 8-shot chain of thought, exact match',
  async run(context) {
    const model = requireModel(context, 'gsm8k');
    const problems = await loadGsm8k(dataFile(context.data, 'gsm8k', 'test.jsonl'));
    const shots = context.shots ?? 8;
    const r = await evaluateGsm8k(model, problems, {
      shots,
      limit: context.limit,
      batchSize: context.batchSize,
      progress: context.progress,
    });
    return result('gsm8k', { accuracy: r.accuracy }, r.total, r.predictions, {
      shots,
      limit: context.limit ?? null,
    });
  },
};

/** HumanEval: generated completions, or a samples file when `context.samples` is set (no model). */
export const humanEvalTask: EvalTask = {
  name: 'humaneval',
  description:
    'HumanEval (JSONL[.gz]) executed in a bubblewrap sandbox with time and resource limits; pass@k; or --samples FILE',
  async run(context) {
    const problems = await loadHumanEval(dataFile(context.data, 'humaneval', 'HumanEval.jsonl.gz'));
    const chosen = problems.slice(0, context.limit ?? problems.length);
    let r: Awaited<ReturnType<typeof scoreSamples>>;
    if (context.samples) {
      const samples = await loadSamples(context.samples);
      const ids = new Set(chosen.map((p) => p.task_id));
      r = await scoreSamples(
        chosen,
        context.limit === undefined ? samples : samples.filter((s) => ids.has(s.task_id)),
        { progress: context.progress, unsafeNoSandbox: context.unsafeNoSandbox },
      );
    } else {
      r = await evaluateHumanEval(requireModel(context, 'humaneval'), chosen, {
        samplesPerProblem: context.samplesPerProblem,
        seed: context.seed,
        batchSize: context.batchSize,
        progress: context.progress,
        unsafeNoSandbox: context.unsafeNoSandbox,
      });
    }
    return result('humaneval', r.passAtK, chosen.length, r.tasks, {
      samples: context.samples ?? null,
      samplesPerProblem: context.samples ? null : (context.samplesPerProblem ?? 1),
      seed: context.seed ?? 0,
      limit: context.limit ?? null,
      sandbox: context.unsafeNoSandbox ? 'none (--unsafe-no-sandbox)' : 'bubblewrap',
    });
  },
};

/** BIG-Bench Hard, 3-shot chain of thought, average over tasks. */
export const bbhTask: EvalTask = {
  name: 'bbh',
  description: 'BIG-Bench Hard (27 task JSON files + cot-prompts/), 3-shot CoT, exact match, task average',
  async run(context) {
    const model = requireModel(context, 'bbh');
    if (context.shots !== undefined && context.shots !== 3) {
      throw new Error(`bbh: --shots must be 3 (the cot-prompts files hold 3 shots), got ${context.shots}`);
    }
    const tasks = await loadBbh(taskFolder(context.data, 'bbh'));
    const r = await evaluateBbh(model, tasks, {
      limitPerTask: context.limit,
      batchSize: context.batchSize,
      progress: context.progress,
    });
    return result(
      'bbh',
      { accuracy: r.average },
      r.predictions.length,
      { tasks: r.tasks },
      { shots: 3, limitPerTask: context.limit ?? null },
    );
  },
};

/** Perplexity of a text file (`--data FILE`). */
export const perplexityTask: EvalTask = {
  name: 'perplexity',
  description:
    'Perplexity of a UTF-8 text file (--data FILE): per token with tokenLogprobs, per word and bits/byte',
  async run(context) {
    const model = requireModel(context, 'perplexity');
    if (!isFile(context.data)) throw new Error(`perplexity: --data must be a text file, got ${context.data}`);
    const r = await evaluatePerplexity(model, await readTextFile(context.data), {
      batchSize: context.batchSize,
      progress: context.progress,
    });
    const metrics: Record<string, number> = { wordPerplexity: r.wordPerplexity, bitsPerByte: r.bitsPerByte };
    if (r.tokenPerplexity !== undefined) metrics.tokenPerplexity = r.tokenPerplexity;
    return result('perplexity', metrics, r.tokens ?? r.words, r, { file: context.data });
  },
};

/** Registers the built-in tasks (mmlu, gsm8k, humaneval, bbh, perplexity) in `registry`. */
export function registerBuiltinTasks(registry: TaskRegistry): TaskRegistry {
  for (const task of [mmluTask, gsm8kTask, humanEvalTask, bbhTask, perplexityTask]) registry.register(task);
  return registry;
}
