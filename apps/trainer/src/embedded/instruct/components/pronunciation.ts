import { createRng, hashUnit, pick } from '../../hash.js';
import { readBrownCorpus } from '../../sources/brown.js';
import { requirePackage } from '../../sources/package-dir.js';
import { sampleSplits } from '../sample.js';
import type { InstructionComponent, InstructionExample } from '../types.js';

/** The 39 ARPAbet phonemes of CMUdict (stress marks removed). */
export const ARPABET =
  'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(
    ' ',
  );

const INSTRUCTIONS = [
  'What is the first sound of this word, in ARPAbet?',
  'Give the first phoneme (ARPAbet) of the word.',
  'Which ARPAbet phoneme does this word start with?',
];
const TEST_FRACTION = 0.2;

/**
 * Pronunciation: a common English word (3–10 letters, in CMUdict and seen at least 3 times in
 * the Brown corpus); the answer is the first phoneme of its CMUdict pronunciation in ARPAbet
 * without the stress digit (`knight` → `N`, `phone` → `F`). Words are split into train and
 * test by a hash, so no word is in both.
 */
export const pronunciationComponent: InstructionComponent = {
  name: 'pronunciation',
  description: 'First ARPAbet phoneme (stress removed) of a common English word, from CMUdict.',
  source: 'cmu-pronouncing-dictionary 3.0.0 (ISC; CMUdict, BSD-style)',
  labels: ARPABET,
  caseSensitive: false,
  build({ seed, train, test }) {
    // loaded on first use: the dictionary is a 4.6 MB module that CLI start-up should not parse
    const { dictionary } = requirePackage<{ dictionary: Record<string, string> }>(
      'cmu-pronouncing-dictionary',
    );
    const counts = new Map<string, number>();
    for (const doc of readBrownCorpus()) {
      for (const sentence of doc.sentences) {
        for (const { word } of sentence) {
          const w = word.toLowerCase();
          counts.set(w, (counts.get(w) ?? 0) + 1);
        }
      }
    }
    const words: string[][] = [[], []];
    for (const [word, phones] of Object.entries(dictionary)) {
      if (!/^[a-z]{3,10}$/.test(word) || (counts.get(word) ?? 0) < 3) continue;
      const first = phones.split(' ')[0]!.replace(/\d$/, '');
      if (!ARPABET.includes(first)) continue;
      words[hashUnit(`pronunciation/${word}`, seed) < TEST_FRACTION ? 1 : 0]!.push(word);
    }
    const make = (split: number, rng: () => number) => (): InstructionExample => {
      const word = pick(rng, words[split]!);
      return {
        instruction: pick(rng, INSTRUCTIONS),
        input: word,
        output: dictionary[word]!.split(' ')[0]!.replace(/\d$/, ''),
        component: 'pronunciation',
      };
    };
    return sampleSplits(
      'pronunciation',
      { train, test },
      make(0, createRng(seed * 31 + 5)),
      make(1, createRng(seed * 31 + 6)),
    );
  },
};
