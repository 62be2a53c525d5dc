import type { EvalModel } from '../model.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import { mapInBatches } from '../util/batch.js';
import { truncateAtStop } from '../util/text.js';
import type { BbhTask } from './load.js';

/** Stop sequences of BBH generation: the model starts the next question. */
export const BBH_STOP = ['\n\nQ:', '\nQ:'];

/** `cotPrompt + "\n\nQ: " + input + "\nA: Let's think step by step."` */
export function buildBbhPrompt(cotPrompt: string, input: string): string {
  return `${cotPrompt}\n\nQ: ${input}\nA: Let's think step by step.`;
}

/**
 * The answer of a CoT completion: the text after the first "So the answer is" up to the end of its
 * line, without a trailing "."; the whole trimmed completion when the phrase is absent.
 */
export function extractBbhAnswer(completion: string): string {
  const marker = 'So the answer is';
  const at = completion.indexOf(marker);
  const rest = at === -1 ? completion : completion.slice(at + marker.length);
  const line = at === -1 ? rest.trim() : (rest.split('\n')[0] ?? '').trim();
  return line.replace(/\.$/, '').trim();
}

/** Options of {@link evaluateBbh}. */
export interface BbhOptions {
  /** At most this many examples per task (the first ones). */
  limitPerTask?: number;
  /** Prompts per `generate` call (default 8). */
  batchSize?: number;
  /** Default 256. */
  maxNewTokens?: number;
  progress?: ProgressReporter;
}

/** Accuracy of one task. */
export interface BbhTaskScore {
  correct: number;
  total: number;
  accuracy: number;
}

/** The result of {@link evaluateBbh}. */
export interface BbhResult {
  /** Mean of the per-task accuracies (how BBH averages are reported). */
  average: number;
  tasks: Record<string, BbhTaskScore>;
  predictions: { task: string; index: number; target: string; predicted: string; correct: boolean }[];
}

/** Greedy CoT generation on every task, answer extraction, exact match. */
export async function evaluateBbh(
  model: EvalModel,
  tasks: readonly BbhTask[],
  options: BbhOptions = {},
): Promise<BbhResult> {
  const items = tasks.flatMap((task) =>
    task.examples.slice(0, options.limitPerTask ?? task.examples.length).map((example, index) => ({
      task: task.name,
      index,
      target: example.target,
      prompt: buildBbhPrompt(task.cotPrompt, example.input),
    })),
  );
  if (items.length === 0) throw new Error('evaluateBbh: no examples to evaluate');
  const completions = await mapInBatches(
    items.map((i) => i.prompt),
    options.batchSize ?? 8,
    (batch) =>
      model.generate(batch, { maxNewTokens: options.maxNewTokens ?? 256, stop: BBH_STOP, temperature: 0 }),
    options.progress ?? silentProgress,
    'bbh',
  );
  const predictions = items.map((item, i) => {
    const predicted = extractBbhAnswer(truncateAtStop(completions[i]!, BBH_STOP));
    return {
      task: item.task,
      index: item.index,
      target: item.target,
      predicted,
      correct: predicted === item.target,
    };
  });
  const scores: Record<string, BbhTaskScore> = {};
  for (const task of tasks) {
    const own = predictions.filter((p) => p.task === task.name);
    const correct = own.filter((p) => p.correct).length;
    scores[task.name] = { correct, total: own.length, accuracy: own.length === 0 ? 0 : correct / own.length };
  }
  const values = Object.values(scores).map((s) => s.accuracy);
  return {
    average: values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length,
    tasks: scores,
    predictions,
  };
}
