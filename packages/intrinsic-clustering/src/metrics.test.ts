import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, normalizedMutualInfo } from './metrics.js';

const cases: { truth: number[]; predicted: number[]; nmi: number; ari: number }[] = JSON.parse(
  readFileSync(join(import.meta.dirname, '__fixtures__', 'metrics.json'), 'utf8'),
);

describe('NMI and ARI', () => {
  it('match scikit-learn on the fixture cases', () => {
    for (const { truth, predicted, nmi, ari } of cases) {
      expect(normalizedMutualInfo(truth, predicted)).toBeCloseTo(nmi, 10);
      expect(adjustedRandIndex(truth, predicted)).toBeCloseTo(ari, 10);
    }
  });

  it('match a hand computation', () => {
    // truth {0,0,0,1,1,1}, predicted {0,0,1,1,2,2}: cells 2,1,1,2; rows 3,3; cols 2,2,2.
    // ARI: Σ C(nij,2) = 2; Σ C(a,2) = 6; Σ C(b,2) = 3; C(6,2) = 15; expected = 18/15 = 1.2;
    // max = 4.5 → (2 − 1.2) / (4.5 − 1.2) = 0.8 / 3.3.
    const truth = [0, 0, 0, 1, 1, 1];
    const predicted = [0, 0, 1, 1, 2, 2];
    expect(adjustedRandIndex(truth, predicted)).toBeCloseTo(0.8 / 3.3, 12);
    // MI = Σ p_ij ln(p_ij / (p_i p_j)) = 2·(2/6)ln((2/6)/(1/6)) + 2·(1/6)ln((1/6)/(1/6)) = (2/3) ln 2.
    // H(truth) = ln 2, H(predicted) = ln 3 → NMI = (2/3) ln 2 / ((ln 2 + ln 3) / 2).
    expect(normalizedMutualInfo(truth, predicted)).toBeCloseTo(
      ((2 / 3) * Math.log(2)) / (Math.log(6) / 2),
      12,
    );
  });

  it('are invariant to renaming clusters and reject unequal lengths', () => {
    expect(normalizedMutualInfo([0, 0, 1, 2], [5, 5, 9, 7])).toBeCloseTo(1, 12);
    expect(adjustedRandIndex([0, 0, 1, 2], [5, 5, 9, 7])).toBeCloseTo(1, 12);
    expect(() => normalizedMutualInfo([0, 1], [0])).toThrow(/differ in length/);
  });
});
