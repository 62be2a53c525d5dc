import { createRng, pick } from '../../hash.js';
import { sampleSplits } from '../sample.js';
import type { InstructionComponent, InstructionExample } from '../types.js';
import { AFINN_SOURCE, afinnWords } from './afinn-words.js';

const INSTRUCTIONS = [
  'Is this word positive or negative?',
  'Classify the sentiment of the word as positive or negative.',
  'Does this word carry a positive or a negative feeling?',
];

/**
 * Word sentiment: a single word from the AFINN-165 lexicon with a non-zero valence; the answer
 * is `positive` or `negative` (sampled half and half). Words are split by a hash (shared with
 * `valence`).
 */
export const sentimentComponent: InstructionComponent = {
  name: 'sentiment',
  description: 'Polarity (positive/negative) of an AFINN-165 word.',
  source: AFINN_SOURCE,
  labels: ['positive', 'negative'],
  caseSensitive: false,
  build({ seed, train, test }) {
    const words = afinnWords(seed);
    const make = (split: number, rng: () => number) => (): InstructionExample => {
      const polarity = rng() < 0.5 ? 0 : 1;
      return {
        instruction: pick(rng, INSTRUCTIONS),
        input: pick(rng, words[split]![polarity]!)[0],
        output: polarity === 0 ? 'positive' : 'negative',
        component: 'sentiment',
      };
    };
    return sampleSplits(
      'sentiment',
      { train, test },
      make(0, createRng(seed * 31 + 7)),
      make(1, createRng(seed * 31 + 8)),
    );
  },
};
