import type { EvalModel } from '../model.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import { mapInBatches } from '../util/batch.js';
import { MMLU_CHOICES, type MmluData, type MmluLetter } from './load.js';
import { buildMmluPrompt } from './prompt.js';

/** The subject groups the HydraLoRA paper reports beside the MMLU average. */
export const MMLU_GROUPS: Readonly<Record<string, readonly string[]>> = {
  medical: ['clinical_knowledge', 'professional_medicine', 'college_medicine'],
  law: ['professional_law', 'international_law'],
};

/** Options of {@link evaluateMmlu}. */
export interface MmluOptions {
  /** Dev examples per prompt (default 0, the paper's zero-shot setting; the original MMLU used 5). */
  shots?: number;
  /** At most this many test questions per subject (the first ones). */
  limitPerSubject?: number;
  /** (prompt, continuation) pairs per `score` call (default 32). */
  batchSize?: number;
  progress?: ProgressReporter;
}

/** Accuracy of one subject or group. */
export interface MmluScore {
  correct: number;
  total: number;
  accuracy: number;
}

/** Per-question outcome. */
export interface MmluPrediction {
  subject: string;
  index: number;
  predicted: MmluLetter;
  answer: MmluLetter;
}

/** The result of {@link evaluateMmlu}. */
export interface MmluResult {
  /** Correct / total over every question. */
  micro: number;
  /** Mean of the per-subject accuracies. */
  macro: number;
  subjects: Record<string, MmluScore>;
  /** Micro accuracy of each group of {@link MMLU_GROUPS} whose subjects were all evaluated. */
  groups: Record<string, MmluScore>;
  predictions: MmluPrediction[];
}

function score(correct: number, total: number): MmluScore {
  return { correct, total, accuracy: total === 0 ? 0 : correct / total };
}

/**
 * Scores " A", " B", " C", " D" after each prompt and predicts the highest (the first on ties, as
 * numpy's argmax in the original code).
 */
export async function evaluateMmlu(
  model: EvalModel,
  data: MmluData,
  options: MmluOptions = {},
): Promise<MmluResult> {
  const shots = options.shots ?? 0;
  const items: { subject: string; index: number; prompt: string; answer: MmluLetter }[] = [];
  for (const subject of data.subjects) {
    const questions = data.test.get(subject) ?? [];
    const dev = data.dev.get(subject) ?? [];
    const count = Math.min(questions.length, options.limitPerSubject ?? Number.POSITIVE_INFINITY);
    for (let index = 0; index < count; index++) {
      const question = questions[index]!;
      items.push({ subject, index, prompt: buildMmluPrompt(question, dev, shots), answer: question.answer });
    }
  }
  if (items.length === 0) throw new Error('evaluateMmlu: no questions to evaluate');
  const pairs = items.flatMap((item) => MMLU_CHOICES.map((letter) => [item.prompt, ` ${letter}`] as const));
  const logprobs = await mapInBatches(
    pairs,
    options.batchSize ?? 32,
    (batch) =>
      batchScore(
        model,
        batch.map((p) => p[0]),
        batch.map((p) => p[1]),
      ),
    options.progress ?? silentProgress,
    'mmlu',
  );
  const predictions: MmluPrediction[] = items.map((item, i) => {
    let best = 0;
    for (let j = 1; j < 4; j++) if (logprobs[4 * i + j]! > logprobs[4 * i + best]!) best = j;
    return { subject: item.subject, index: item.index, predicted: MMLU_CHOICES[best]!, answer: item.answer };
  });
  const perSubject = new Map<string, { correct: number; total: number }>();
  for (const p of predictions) {
    const s = perSubject.get(p.subject) ?? { correct: 0, total: 0 };
    s.total++;
    if (p.predicted === p.answer) s.correct++;
    perSubject.set(p.subject, s);
  }
  const subjects: Record<string, MmluScore> = {};
  for (const [name, s] of perSubject) subjects[name] = score(s.correct, s.total);
  const groups: Record<string, MmluScore> = {};
  for (const [group, members] of Object.entries(MMLU_GROUPS)) {
    if (!members.every((m) => perSubject.has(m))) continue;
    const correct = members.reduce((sum, m) => sum + perSubject.get(m)!.correct, 0);
    const total = members.reduce((sum, m) => sum + perSubject.get(m)!.total, 0);
    groups[group] = score(correct, total);
  }
  const accuracies = Object.values(subjects).map((s) => s.accuracy);
  const correct = predictions.filter((p) => p.predicted === p.answer).length;
  return {
    micro: predictions.length === 0 ? 0 : correct / predictions.length,
    macro: accuracies.length === 0 ? 0 : accuracies.reduce((a, b) => a + b, 0) / accuracies.length,
    subjects,
    groups,
    predictions,
  };
}

async function batchScore(model: EvalModel, prompts: string[], continuations: string[]): Promise<number[]> {
  const out = await model.score(prompts, continuations);
  for (const value of out) {
    if (typeof value !== 'number' || Number.isNaN(value) || value === Number.POSITIVE_INFINITY)
      throw new Error(`model.score returned ${value}`);
  }
  return out;
}
