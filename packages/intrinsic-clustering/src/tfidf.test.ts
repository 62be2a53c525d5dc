import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csrToDense } from './csr.js';
import { compareCodePoints, type TfidfOptions, TfidfVectorizer } from './tfidf.js';
import { createAnalyzer } from './tokenize.js';

const fixtures = join(import.meta.dirname, '__fixtures__');
const load = (name: string) => JSON.parse(readFileSync(join(fixtures, name), 'utf8'));
const corpus: string[] = load('tfidf-corpus.json').corpus;

interface Reference {
  options: TfidfOptions;
  vocabulary: string[];
  idf: number[];
  indptr: number[];
  indices: number[];
  data: number[];
  transform: { texts: string[]; dense: number[][] };
}

const cases = [
  'default',
  'sublinear',
  'ngram12',
  'df-bounds',
  'df-proportion',
  'stop-words',
  'ngram-stop-sublinear',
  'max-features',
];

describe('TfidfVectorizer matches scikit-learn 1.2 (fixture from scripts/make_tfidf_fixture.py)', () => {
  for (const name of cases) {
    it(`case ${name}`, () => {
      const ref: Reference = load(`tfidf-${name}.json`);
      const { vectorizer, matrix } = TfidfVectorizer.fitTransform(corpus, ref.options);
      expect(vectorizer.vocabulary).toEqual(ref.vocabulary);
      expect(vectorizer.idf.length).toBe(ref.idf.length);
      ref.idf.forEach((value, i) => {
        expect(Math.abs(vectorizer.idf[i]! - value)).toBeLessThanOrEqual(1e-12);
      });
      expect(Array.from(matrix.indptr)).toEqual(ref.indptr);
      expect(Array.from(matrix.indices)).toEqual(ref.indices);
      ref.data.forEach((value, p) => {
        expect(Math.abs(matrix.data[p]! - value)).toBeLessThanOrEqual(1e-6);
      });
      const dense = csrToDense(vectorizer.transform(ref.transform.texts));
      ref.transform.dense.forEach((row, i) => {
        row.forEach((value, j) => {
          expect(Math.abs(dense[i]![j]! - value)).toBeLessThanOrEqual(1e-6);
        });
      });
    });
  }

  it('round-trips through JSON', () => {
    const { vectorizer } = TfidfVectorizer.fitTransform(corpus, {
      ngramRange: [1, 2],
      tokenPattern: /\b\w+\b/g,
    });
    const copy = TfidfVectorizer.fromJSON(JSON.parse(JSON.stringify(vectorizer.toJSON())));
    expect(csrToDense(copy.transform(corpus.slice(0, 5)))).toEqual(
      csrToDense(vectorizer.transform(corpus.slice(0, 5))),
    );
  });
});

describe('tokeniser (sklearn token_pattern, Unicode-aware)', () => {
  const analyze = createAnalyzer();
  it('keeps runs of 2+ letters/digits/underscores in any script, lower-cased', () => {
    expect(analyze("Café déjà-vu, Ελληνικά ÜBER a b 3.14 user_id don't")).toEqual([
      'café',
      'déjà',
      'vu',
      'ελληνικά',
      'über',
      '14',
      'user_id',
      'don',
    ]);
  });
  it('forms n-grams after removing stop words, joined by one space', () => {
    const bigrams = createAnalyzer({ ngramRange: [2, 2], stopWords: ['the'] });
    expect(bigrams('the cat saw the dog')).toEqual(['cat saw', 'saw dog']);
  });
  it('rejects a bad n-gram range and a non-global pattern', () => {
    expect(() => createAnalyzer({ ngramRange: [2, 1] })).toThrow(/ngramRange \[2, 1\]/);
    expect(() => createAnalyzer({ tokenPattern: /\w+/ })).toThrow(/global flag/);
  });
});

describe('vocabulary order and errors', () => {
  it('sorts by code point like Python (an astral character after U+FFFD)', () => {
    const words = ['\u{1F600}x', '\uFFFDx', 'b', 'a'];
    expect([...words].sort(compareCodePoints)).toEqual(['a', 'b', '\uFFFDx', '\u{1F600}x']);
    expect([...words].sort()).not.toEqual([...words].sort(compareCodePoints));
  });
  it('throws on an empty vocabulary and on contradictory bounds', () => {
    expect(() => TfidfVectorizer.fitTransform(['a b c', '! ?'])).toThrow(/empty vocabulary/);
    expect(() => TfidfVectorizer.fitTransform(corpus, { minDf: 5, maxDf: 2 })).toThrow(/maxDf/);
    expect(() => TfidfVectorizer.fitTransform(corpus, { minDf: 1.5 })).toThrow(/minDf 1.5/);
    expect(() => TfidfVectorizer.fitTransform(corpus, { minDf: 29 })).toThrow(/no terms remain/);
  });
});
