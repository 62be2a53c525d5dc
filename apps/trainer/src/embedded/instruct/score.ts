import type { InstructionExample } from './types.js';

/** Correct answers out of a total. */
export interface Accuracy {
  correct: number;
  total: number;
  /** correct / total (0 when total is 0). */
  accuracy: number;
}

/** Exact-match accuracy per component and over all examples. */
export interface ExactMatchReport {
  overall: Accuracy;
  perComponent: Record<string, Accuracy>;
  /** Right or wrong per example, in the examples' order (for paired comparisons). */
  hits: boolean[];
}

/**
 * The normalisation applied to predictions and references before comparison: keep only the
 * first line, trim, collapse runs of whitespace to one space, drop one trailing period, and
 * lower-case unless `caseSensitive`.
 */
export function normalizeAnswer(text: string, caseSensitive = false): string {
  let s = text.split('\n')[0]!.trim().replace(/\s+/g, ' ');
  if (s.endsWith('.')) s = s.slice(0, -1).trimEnd();
  return caseSensitive ? s : s.toLowerCase();
}

/**
 * Scores `predictions[i]` against `examples[i].output` by exact match after
 * {@link normalizeAnswer}. `caseSensitive` names the components that compare case (none of
 * the default ones do).
 */
export function scoreExactMatch(
  predictions: readonly string[],
  examples: readonly InstructionExample[],
  options: { caseSensitive?: readonly string[] } = {},
): ExactMatchReport {
  if (predictions.length !== examples.length) {
    throw new Error(
      `scoreExactMatch: ${predictions.length} predictions for ${examples.length} examples (they must match)`,
    );
  }
  const sensitive = new Set(options.caseSensitive ?? []);
  const perComponent: Record<string, Accuracy> = {};
  const overall: Accuracy = { correct: 0, total: 0, accuracy: 0 };
  const hits: boolean[] = [];
  examples.forEach((example, i) => {
    const cs = sensitive.has(example.component);
    const hit = normalizeAnswer(predictions[i]!, cs) === normalizeAnswer(example.output, cs) ? 1 : 0;
    hits.push(hit === 1);
    const acc = perComponent[example.component] ?? { correct: 0, total: 0, accuracy: 0 };
    perComponent[example.component] = acc;
    acc.correct += hit;
    acc.total += 1;
    overall.correct += hit;
    overall.total += 1;
  });
  for (const acc of [overall, ...Object.values(perComponent)]) {
    acc.accuracy = acc.total === 0 ? 0 : acc.correct / acc.total;
  }
  return { overall, perComponent, hits };
}
