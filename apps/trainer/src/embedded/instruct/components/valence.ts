import { createRng, pick } from '../../hash.js';
import { sampleSplits } from '../sample.js';
import type { InstructionComponent, InstructionExample } from '../types.js';
import { AFINN_SOURCE, afinnWords } from './afinn-words.js';

/** Worded like `sentiment`'s instructions on purpose: the same words, a different answer format. */
const INSTRUCTIONS = [
  'How positive or negative is this word? Answer from -5 to 5.',
  'Rate the sentiment of the word from -5 (negative) to 5 (positive).',
  'Give the feeling of this word a score from -5 to 5.',
];

/** The AFINN ratings, as the answers are written. */
export const VALENCE_LABELS = ['-5', '-4', '-3', '-2', '-1', '1', '2', '3', '4', '5'] as const;

/**
 * Word valence: the interference partner of `sentiment`. The same AFINN-165 words and the same
 * held-out words, an instruction that reads almost the same, but the answer is the word's AFINN
 * rating (−5…−1, 1…5) instead of a polarity word. Polarity is sampled half and half, then a word
 * of that polarity uniformly: a model that only knows the polarity and answers ±2 scores ≈ 59%.
 */
export const valenceComponent: InstructionComponent = {
  name: 'valence',
  description: 'AFINN-165 rating (−5…5, never 0) of a word: sentiment’s look-alike with a numeric answer.',
  source: AFINN_SOURCE,
  labels: VALENCE_LABELS,
  caseSensitive: false,
  build({ seed, train, test }) {
    const words = afinnWords(seed);
    const make = (split: number, rng: () => number) => (): InstructionExample => {
      const [word, score] = pick(rng, words[split]![rng() < 0.5 ? 0 : 1]!);
      return {
        instruction: pick(rng, INSTRUCTIONS),
        input: word,
        output: String(score),
        component: 'valence',
      };
    };
    return sampleSplits(
      'valence',
      { train, test },
      make(0, createRng(seed * 31 + 11)),
      make(1, createRng(seed * 31 + 12)),
    );
  },
};
