import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cosineSilhouette, silhouetteChoice } from './silhouette.js';

// scikit-learn 1.2's silhouette_score / silhouette_samples (metric='cosine'), written by
// scripts/make_silhouette_fixture.py.
const fixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/silhouette.json', import.meta.url), 'utf8'),
) as {
  dense: { points: number[][]; cases: { labels: number[]; score: number; samples: number[] }[] };
  sparse: { labels: number[]; score: number }[];
};
const tfidf = JSON.parse(
  readFileSync(new URL('./__fixtures__/tfidf-default.json', import.meta.url), 'utf8'),
) as {
  vocabulary: string[];
  indptr: number[];
  indices: number[];
  data: number[];
};

const kOf = (labels: number[]) => Math.max(...labels) + 1;

describe('cosine silhouette', () => {
  const points = fixture.dense.points;
  const dims = points[0]!.length;
  const rows = Float64Array.from(points.flat());

  for (const [i, c] of fixture.dense.cases.entries()) {
    it(`matches sklearn on dense points, labeling ${i} (score ${c.score.toFixed(4)})`, () => {
      expect(cosineSilhouette({ rows, dims }, c.labels, kOf(c.labels))).toBeCloseTo(c.score, 10);
      // the mean of sklearn's per-sample values is the score
      expect(c.samples.reduce((s, v) => s + v, 0) / c.samples.length).toBeCloseTo(c.score, 12);
    });
  }

  it('matches sklearn on sparse TF-IDF rows', () => {
    const matrix = {
      rows: tfidf.indptr.length - 1,
      cols: tfidf.vocabulary.length,
      indptr: Int32Array.from(tfidf.indptr),
      indices: Int32Array.from(tfidf.indices),
      data: Float64Array.from(tfidf.data),
    };
    for (const c of fixture.sparse) {
      expect(cosineSilhouette(matrix, c.labels, kOf(c.labels))).toBeCloseTo(c.score, 10);
    }
  });

  it('is 1 for two tight, orthogonal groups and undefined for one cluster', () => {
    const two = { rows: Float64Array.from([1, 0, 2, 0, 0, 1, 0, 3]), dims: 2 };
    expect(cosineSilhouette(two, [0, 0, 1, 1], 2)).toBeCloseTo(1, 12);
    expect(cosineSilhouette(two, [0, 0, 0, 0], 1)).toBeNaN();
    expect(() => cosineSilhouette(two, [0, 0, 2, 1], 2)).toThrow(
      /labels\[2\] is 2; expected an integer in \[0, 2\)/,
    );
    expect(() => cosineSilhouette(two, [0, 1], 2)).toThrow(/2 labels for 4 rows/);
  });

  it('chooses the K of the largest score, skipping undefined ones', () => {
    expect(silhouetteChoice([1, 2, 3, 4], [null, 0.2, 0.5, 0.5])).toBe(3);
    expect(silhouetteChoice([1], [null])).toBe(1);
  });
});

// scikit-learn's KMeans fits and silhouette_score (cosine) for K = 2..8, and the K the tolerance
// rule picks, computed independently in Python: scripts/make_silhouette_choice_fixture.py.
const choiceFixture = JSON.parse(
  readFileSync(new URL('./__fixtures__/silhouette-choice.json', import.meta.url), 'utf8'),
) as {
  points: number[][];
  fits: { k: number; labels: number[]; score: number }[];
  choices: { tolerance: number; k: number }[];
};

describe('silhouette criterion with a tolerance', () => {
  const rows = Float64Array.from(choiceFixture.points.flat());
  const dims = choiceFixture.points[0]!.length;
  const ks = choiceFixture.fits.map((f) => f.k);
  const scores = choiceFixture.fits.map((f) => cosineSilhouette({ rows, dims }, f.labels, f.k));

  it('scores the sklearn k-means fits as sklearn does', () => {
    choiceFixture.fits.forEach((f, i) => {
      expect(scores[i]).toBeCloseTo(f.score, 10);
    });
  });

  for (const { tolerance, k } of choiceFixture.choices) {
    it(`picks K = ${k} with tolerance ${tolerance}, as the Python reference`, () => {
      expect(silhouetteChoice(ks, scores, tolerance)).toBe(k);
    });
  }

  it('takes the start of a plateau (closed form) and skips undefined scores', () => {
    // max 0.5 at K = 5; (1 − 0.03) × 0.5 = 0.485: K = 3 (0.49) is the first at or above it
    const curve = [null, 0.3, 0.49, 0.48, 0.5, 0.497];
    expect(silhouetteChoice([1, 2, 3, 4, 5, 6], curve, 0)).toBe(5);
    expect(silhouetteChoice([1, 2, 3, 4, 5, 6], curve, 0.03)).toBe(3);
    expect(silhouetteChoice([1, 2, 3, 4, 5, 6], curve, 0.019)).toBe(5);
    expect(silhouetteChoice([1, 2, 3, 4, 5, 6], curve, 0.5)).toBe(2);
    // a negative maximum keeps the same slack: −0.2 − 0.1 × 0.2 = −0.22
    expect(silhouetteChoice([2, 3, 4], [-0.21, -0.3, -0.2], 0.1)).toBe(2);
    expect(silhouetteChoice([2, 3, 4], [-0.23, -0.3, -0.2], 0.1)).toBe(4);
    expect(silhouetteChoice([1], [null], 0.03)).toBe(1);
  });

  it('rejects a tolerance outside [0, 1)', () => {
    expect(() => silhouetteChoice([2, 3], [0.1, 0.2], 1)).toThrow(
      /silhouette tolerance is 1: expected a number in \[0, 1\)/,
    );
    expect(() => silhouetteChoice([2, 3], [0.1, 0.2], -0.1)).toThrow(/tolerance is -0.1/);
  });
});
