import type { EvalModel } from '../model.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import { mapConcurrent, mapInBatches } from '../util/batch.js';
import { truncateAtStop } from '../util/text.js';
import { type ExecutionOptions, type ExecutionResult, executeCompletion } from './execute.js';
import { HUMANEVAL_STOP, type HumanEvalProblem, type HumanEvalSample } from './load.js';
import { meanPassAtK } from './pass-at-k.js';

/** Options of the HumanEval scoring functions. */
export interface HumanEvalOptions extends ExecutionOptions {
  /** Programs run at once (default 2). */
  concurrency?: number;
  /** The k of pass@k to report where every problem has n >= k (default [1, 10, 100]). */
  ks?: number[];
  progress?: ProgressReporter;
}

/** Per-problem outcome. */
export interface HumanEvalTaskResult {
  task_id: string;
  n: number;
  correct: number;
  samples: ({ completion: string } & ExecutionResult)[];
}

/** The result of a HumanEval run. */
export interface HumanEvalResult {
  /** `pass@1`, `pass@10`, ... for each k that every problem allows. */
  passAtK: Record<string, number>;
  tasks: HumanEvalTaskResult[];
}

/**
 * Executes every sample against its problem and computes pass@k. As OpenAI's
 * `evaluate_functional_correctness`, every problem must have at least one sample and every
 * sample must name a known problem.
 */
export async function scoreSamples(
  problems: readonly HumanEvalProblem[],
  samples: readonly HumanEvalSample[],
  options: HumanEvalOptions = {},
): Promise<HumanEvalResult> {
  const byId = new Map(problems.map((p) => [p.task_id, p]));
  for (const sample of samples) {
    if (!byId.has(sample.task_id))
      throw new Error(`sample field "task_id": unknown problem ${JSON.stringify(sample.task_id)}`);
  }
  const missing = problems.filter((p) => !samples.some((s) => s.task_id === p.task_id)).map((p) => p.task_id);
  if (missing.length > 0) {
    throw new Error(
      `no sample for ${missing.length} problem(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
    );
  }
  const progress = options.progress ?? silentProgress;
  progress.start(samples.length, 'humaneval');
  let results: ExecutionResult[];
  try {
    results = await mapConcurrent(
      samples,
      options.concurrency ?? 2,
      (sample) => executeCompletion(byId.get(sample.task_id)!, sample.completion, options),
      () => progress.increment(1),
    );
  } finally {
    progress.stop();
  }
  const tasks = problems.map((problem): HumanEvalTaskResult => {
    const own = samples.flatMap((s, i) =>
      s.task_id === problem.task_id ? [{ completion: s.completion, ...results[i]! }] : [],
    );
    return {
      task_id: problem.task_id,
      n: own.length,
      correct: own.filter((s) => s.passed).length,
      samples: own,
    };
  });
  return {
    passAtK: meanPassAtK(
      tasks.map((t) => ({ n: t.n, c: t.correct })),
      options.ks,
    ),
    tasks,
  };
}

/** Options of {@link evaluateHumanEval}. */
export interface HumanEvalGenerationOptions extends HumanEvalOptions {
  /** Samples per problem (default 1; use >= 10 with temperature > 0 for pass@10). */
  samplesPerProblem?: number;
  /** Default 0 (greedy) for one sample, 0.8 otherwise (the Codex paper's pass@10/100 setting). */
  temperature?: number;
  /** Sample j of every problem uses seed `seed + j` (default 0). */
  seed?: number;
  /** Default 512. */
  maxNewTokens?: number;
  /** Prompts per `generate` call (default 8). */
  batchSize?: number;
}

/** Generates completions with the Codex stop sequences, then {@link scoreSamples}. */
export async function evaluateHumanEval(
  model: EvalModel,
  problems: readonly HumanEvalProblem[],
  options: HumanEvalGenerationOptions = {},
): Promise<HumanEvalResult> {
  const n = options.samplesPerProblem ?? 1;
  const temperature = options.temperature ?? (n === 1 ? 0 : 0.8);
  const samples: HumanEvalSample[] = [];
  for (let j = 0; j < n; j++) {
    const completions = await mapInBatches(
      problems.map((p) => p.prompt),
      options.batchSize ?? 8,
      (batch) =>
        model.generate(batch, {
          maxNewTokens: options.maxNewTokens ?? 512,
          stop: HUMANEVAL_STOP,
          temperature,
          seed: (options.seed ?? 0) + j,
        }),
      options.progress ?? silentProgress,
      `humaneval sample ${j + 1}/${n}`,
    );
    problems.forEach((p, i) => {
      samples.push({ task_id: p.task_id, completion: truncateAtStop(completions[i]!, HUMANEVAL_STOP) });
    });
  }
  return scoreSamples(problems, samples, options);
}
