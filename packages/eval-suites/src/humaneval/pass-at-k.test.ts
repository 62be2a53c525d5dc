import { describe, expect, it } from 'vitest';
import { meanPassAtK, passAtK } from './pass-at-k.js';

function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let out = 1n;
  for (let i = 0; i < k; i++) out = (out * BigInt(n - i)) / BigInt(i + 1);
  return out;
}

describe('passAtK (Chen et al. 2021)', () => {
  it('matches hand-computed values', () => {
    expect(passAtK(10, 1, 1)).toBeCloseTo(0.1, 15);
    expect(passAtK(10, 5, 1)).toBeCloseTo(0.5, 15);
    // 1 - C(7,5)/C(10,5) = 1 - 21/252
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 15);
    // 1 - C(18,10)/C(20,10) = 1 - 43758/184756
    expect(passAtK(20, 2, 10)).toBeCloseTo(1 - 43758 / 184756, 14);
    expect(passAtK(6, 3, 1)).toBeCloseTo(0.5, 15);
    expect(passAtK(5, 0, 1)).toBe(0);
    expect(passAtK(10, 1, 10)).toBe(1);
    expect(passAtK(10, 10, 1)).toBe(1);
  });

  it('equals 1 - C(n-c,k)/C(n,k) computed exactly with big integers', () => {
    for (const n of [1, 7, 30, 200]) {
      for (const c of [0, 1, Math.floor(n / 3), n]) {
        for (const k of [1, 2, 10, 100]) {
          if (k > n) continue;
          const exact = 1 - Number((binomial(n - c, k) * 10n ** 18n) / binomial(n, k)) / 1e18;
          expect(passAtK(n, c, k)).toBeCloseTo(exact, 12);
        }
      }
    }
  });

  it('rejects impossible arguments', () => {
    expect(() => passAtK(5, 6, 1)).toThrow('c (6) cannot exceed n (5)');
    expect(() => passAtK(5, 1, 6)).toThrow('k must be in 1..n');
    expect(() => passAtK(5, 1.5, 1)).toThrow('c must be a non-negative integer');
  });

  it('reports only the k every problem allows', () => {
    expect(
      meanPassAtK([
        { n: 10, c: 5 },
        { n: 10, c: 0 },
      ]),
    ).toEqual({ 'pass@1': 0.25, 'pass@10': 0.5 });
    expect(Object.keys(meanPassAtK([{ n: 6, c: 3 }]))).toEqual(['pass@1']);
  });
});
