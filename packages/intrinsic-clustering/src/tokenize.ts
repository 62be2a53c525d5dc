import { ENGLISH_STOP_WORDS } from './stop-words.js';

/**
 * scikit-learn's default `token_pattern`, `(?u)\b\w\w+\b`, in JavaScript. Python's Unicode `\w`
 * is a letter (`\p{L}`), a number (`\p{N}`) or `_`; JavaScript's `\w` and `\b` are ASCII-only even
 * with the `u` flag, so the class is spelled out. A leftmost-greedy match of two or more word
 * characters always spans a maximal run, which is exactly what the `\b…\b` anchors select.
 */
export const DEFAULT_TOKEN_PATTERN = /[\p{L}\p{N}_]{2,}/gu;

/** How text becomes terms (scikit-learn's `CountVectorizer` analyser, `analyzer='word'`). */
export interface TokenizerOptions {
  /** Lower-case before tokenising (sklearn `lowercase`, default true). */
  lowercase?: boolean;
  /** A global (`g`) regular expression whose matches are the tokens; default {@link DEFAULT_TOKEN_PATTERN}. */
  tokenPattern?: RegExp;
  /** Tokens removed before n-grams are formed: `'english'` ({@link ENGLISH_STOP_WORDS}) or a list. */
  stopWords?: 'english' | readonly string[];
  /** `[min_n, max_n]` word n-grams, joined by one space (sklearn `ngram_range`, default `[1, 1]`). */
  ngramRange?: readonly [number, number];
}

/** A reusable analyser: text → list of terms (tokens and n-grams, in sklearn's order). */
export type Analyzer = (text: string) => string[];

/** Builds the analyser for `options` (validated: a bad n-gram range or pattern throws). */
export function createAnalyzer(options: TokenizerOptions = {}): Analyzer {
  const lowercase = options.lowercase ?? true;
  const pattern = options.tokenPattern ?? DEFAULT_TOKEN_PATTERN;
  if (!pattern.global) throw new Error(`tokenPattern ${String(pattern)} must have the global flag (g)`);
  const [minN, maxN] = options.ngramRange ?? [1, 1];
  if (!Number.isInteger(minN) || !Number.isInteger(maxN) || minN < 1 || maxN < minN) {
    throw new Error(`ngramRange [${minN}, ${maxN}]: expected integers 1 <= min <= max`);
  }
  const stop =
    options.stopWords === undefined
      ? undefined
      : new Set(options.stopWords === 'english' ? ENGLISH_STOP_WORDS : options.stopWords);
  return (text: string): string[] => {
    const source = lowercase ? text.toLowerCase() : text;
    let tokens: string[] = source.match(pattern) ?? [];
    if (stop) tokens = tokens.filter((token) => !stop.has(token));
    if (minN === 1 && maxN === 1) return tokens;
    const terms: string[] = [];
    if (minN === 1) terms.push(...tokens);
    for (let n = Math.max(minN, 2); n <= Math.min(maxN, tokens.length); n++) {
      for (let start = 0; start + n <= tokens.length; start++)
        terms.push(tokens.slice(start, start + n).join(' '));
    }
    return terms;
  };
}
