import { describe, expect, it } from 'vitest';
import { kneedle } from './elbow.js';

const ks = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('Kneedle elbow', () => {
  it('finds the bend of a piecewise-linear SSE curve (steep until K = 4, then flat)', () => {
    const sse = ks.map((k) => (k <= 4 ? 100 - 30 * (k - 1) : 10 - (k - 4)));
    const elbow = kneedle(ks, sse);
    expect(elbow.k).toBe(4);
    expect(elbow.method).toBe('kneedle');
    // d at K = 4: 1 − (10 − 4)/(100 − 4) − 3/9.
    expect(elbow.difference[3]).toBeCloseTo(1 - 6 / 96 - 3 / 9, 12);
  });

  it('finds the knee of 1/K at K = 3 (the closed-form maximum of the difference curve)', () => {
    // d(K) = 1 − (1/K − 0.1)/0.9 − (K − 1)/9 is maximal where 1/(0.9 K²) = 1/9, K = √10 ≈ 3.16.
    expect(
      kneedle(
        ks,
        ks.map((k) => 1 / k),
      ).k,
    ).toBe(3);
  });

  it('falls back on flat and straight curves, and a high sensitivity suppresses a weak knee', () => {
    expect(
      kneedle(
        ks,
        ks.map(() => 5),
      ),
    ).toMatchObject({ k: 1, method: 'flat' });
    expect(kneedle([1, 2], [3, 1])).toMatchObject({ k: 1, method: 'flat' });
    expect(
      kneedle(
        ks,
        ks.map((k) => 100 - k),
      ),
    ).toMatchObject({ k: 1, method: 'max-difference' });
    const weak = ks.map((k) => 100 - 10 * k + (k === 3 ? -3 : 0));
    expect(kneedle(ks, weak, 0).method).toBe('kneedle');
    expect(kneedle(ks, weak, 5).method).toBe('max-difference');
  });

  it('rejects mismatched inputs', () => {
    expect(() => kneedle([1, 2, 3], [1, 2])).toThrow(/3 K values but 2/);
    expect(() => kneedle(ks, ks, -1)).toThrow(/sensitivity/);
  });
});
