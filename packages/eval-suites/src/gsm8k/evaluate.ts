import { z } from 'zod';
import type { EvalModel } from '../model.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import { mapInBatches } from '../util/batch.js';
import { readJsonl } from '../util/files.js';
import { truncateAtStop } from '../util/text.js';
import { GSM8K_COT_EXEMPLARS } from './exemplars.js';
import { extractGsm8kAnswer, goldAnswerProblem, goldGsm8kAnswer } from './extract.js';

/** One GSM8K problem with its normalised gold answer. */
export interface Gsm8kProblem {
  question: string;
  /** The reference solution, ending in `#### N`. */
  answer: string;
  /** N, normalised. */
  gold: string;
}

const Row = z.object({
  question: z.string().min(1),
  answer: z
    .string()
    .min(1)
    .superRefine((answer, ctx) => {
      const problem = goldAnswerProblem(answer);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});

/**
 * Loads a GSM8K JSONL file (`question`, `answer` ending in `#### N`, N a number). Errors name the
 * file, line and value; a file without problems is an error.
 */
export async function loadGsm8k(file: string): Promise<Gsm8kProblem[]> {
  const rows = await readJsonl(file, Row);
  if (rows.length === 0) throw new Error(`${file}: no GSM8K problems (the file is empty)`);
  return rows.map((row, i) => ({ ...row, gold: goldGsm8kAnswer(row.answer, `${file}: record ${i + 1}`) }));
}

/** Stop sequences of GSM8K generation: the model starts the next question. */
export const GSM8K_STOP = ['\n\nQ:', '\nQ:', '\n\n\n'];

/**
 * The k-shot chain-of-thought prompt (Wei et al. 2022): `Q: ...\nA: ... The answer is N.\n\n` per
 * exemplar, then `Q: <question>\nA:`.
 */
export function buildGsm8kPrompt(question: string, shots = 8): string {
  if (!Number.isInteger(shots) || shots < 0 || shots > GSM8K_COT_EXEMPLARS.length) {
    throw new Error(`GSM8K shots must be an integer in 0..${GSM8K_COT_EXEMPLARS.length}, got ${shots}`);
  }
  let prompt = '';
  for (const e of GSM8K_COT_EXEMPLARS.slice(0, shots)) prompt += `Q: ${e.question}\nA: ${e.answer}\n\n`;
  return `${prompt}Q: ${question}\nA:`;
}

/** Options of {@link evaluateGsm8k}. */
export interface Gsm8kOptions {
  /** Exemplars per prompt (default 8). */
  shots?: number;
  /** At most this many problems (the first ones). */
  limit?: number;
  /** Prompts per `generate` call (default 8). */
  batchSize?: number;
  /** Default 256. */
  maxNewTokens?: number;
  progress?: ProgressReporter;
}

/** Per-problem outcome. */
export interface Gsm8kPrediction {
  index: number;
  gold: string;
  predicted: string | undefined;
  correct: boolean;
  completion: string;
}

/** The result of {@link evaluateGsm8k}. */
export interface Gsm8kResult {
  accuracy: number;
  correct: number;
  total: number;
  predictions: Gsm8kPrediction[];
}

/** Greedy chain-of-thought generation, answer extraction and exact match. */
export async function evaluateGsm8k(
  model: EvalModel,
  problems: readonly Gsm8kProblem[],
  options: Gsm8kOptions = {},
): Promise<Gsm8kResult> {
  const shots = options.shots ?? 8;
  const chosen = problems.slice(0, options.limit ?? problems.length);
  if (chosen.length === 0) throw new Error('evaluateGsm8k: no problems to evaluate');
  const prompts = chosen.map((p) => buildGsm8kPrompt(p.question, shots));
  const completions = await mapInBatches(
    prompts,
    options.batchSize ?? 8,
    (batch) =>
      model.generate(batch, { maxNewTokens: options.maxNewTokens ?? 256, stop: GSM8K_STOP, temperature: 0 }),
    options.progress ?? silentProgress,
    'gsm8k',
  );
  const predictions = chosen.map((problem, index) => {
    const completion = truncateAtStop(completions[index]!, GSM8K_STOP);
    const predicted = extractGsm8kAnswer(completion);
    return { index, gold: problem.gold, predicted, correct: predicted === problem.gold, completion };
  });
  const correct = predictions.filter((p) => p.correct).length;
  return {
    accuracy: correct / chosen.length,
    correct,
    total: chosen.length,
    predictions,
  };
}
