import { describe, expect, it } from 'vitest';
import {
  formatPaired,
  formatPercentInterval,
  mcnemarExact,
  meanInterval,
  pairedComparison,
} from './stats.js';

describe('meanInterval', () => {
  it('matches a hand-computed 95% t-interval', () => {
    // [1, 2, 3]: mean 2, s = 1, t(0.975, 2) = 4.302653 (tables), half-width = 4.302653 / √3.
    const m = meanInterval([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.halfWidth).toBeCloseTo(4.302653 / Math.sqrt(3), 5);
    expect(m.halfWidth).toBeCloseTo(2.484, 3);
    // Two values: t(0.975, 1) = 12.7062; s = |a − b|/√2.
    const two = meanInterval([0.5, 0.7]);
    expect(two.halfWidth).toBeCloseTo((12.7062 * (0.2 / Math.SQRT2)) / Math.SQRT2, 3);
    // 90%: t(0.95, 4) = 2.131847.
    const five = meanInterval([1, 2, 3, 4, 5], 0.9);
    expect(five.halfWidth).toBeCloseTo((2.131847 * Math.sqrt(2.5)) / Math.sqrt(5), 5);
  });

  it('has no interval for one value and rejects bad input', () => {
    expect(meanInterval([0.4])).toEqual({ mean: 0.4, halfWidth: null, n: 1, values: [0.4] });
    expect(() => meanInterval([])).toThrow(/no values/);
    expect(() => meanInterval([1, 2], 1.5)).toThrow(/level = 1.5/);
  });

  it('formats percentages', () => {
    expect(formatPercentInterval(meanInterval([0.1, 0.2, 0.3]))).toBe('20.0 ± 24.8');
    expect(formatPercentInterval(meanInterval([0.25]))).toBe('25.0');
  });
});

describe('pairedComparison and mcnemarExact', () => {
  it("McNemar's exact p-value matches the binomial sums written out", () => {
    expect(mcnemarExact(0, 5)).toBeCloseTo(2 * 0.5 ** 5, 12);
    expect(mcnemarExact(9, 1)).toBeCloseTo((2 * (1 + 10)) / 1024, 12);
    // 2·(C(17,0) + C(17,1) + C(17,2) + C(17,3)) / 2¹⁷
    expect(mcnemarExact(3, 14)).toBeCloseTo((2 * (1 + 17 + 136 + 680)) / 2 ** 17, 12);
    expect(mcnemarExact(5, 5)).toBe(1);
    expect(mcnemarExact(0, 0)).toBe(1);
    expect(() => mcnemarExact(-1, 2)).toThrow(/b = -1/);
    expect(() => mcnemarExact(1, 0.5)).toThrow(/c = 0.5/);
  });

  it('identical results: no difference, interval [0, 0], p = 1, not real', () => {
    const a = Array.from({ length: 50 }, (_, i) => i % 3 === 0);
    const p = pairedComparison(a, a);
    expect(p).toMatchObject({
      n: 50,
      difference: 0,
      low: 0,
      high: 0,
      onlyA: 0,
      onlyB: 0,
      pValue: 1,
      real: false,
    });
  });

  it('one method right everywhere the other is wrong: +100 points, real', () => {
    const p = pairedComparison(Array(30).fill(true), Array(30).fill(false));
    expect(p.difference).toBe(1);
    expect([p.low, p.high]).toEqual([1, 1]);
    expect(p.pValue).toBeCloseTo(2 * 0.5 ** 30, 15);
    expect(p.real).toBe(true);
  });

  it('the bootstrap interval agrees with the normal approximation of the paired difference', () => {
    // 400 examples: 40 only a, 20 only b, 100 both, 240 neither; d̄ = 0.05,
    // Var(d) = 60/400 − 0.05² = 0.1475, se = √(0.1475/400), interval d̄ ± 1.96·se
    const a: boolean[] = [];
    const b: boolean[] = [];
    const push = (x: boolean, y: boolean, k: number) => {
      for (let i = 0; i < k; i++) {
        a.push(x);
        b.push(y);
      }
    };
    push(true, false, 40);
    push(false, true, 20);
    push(true, true, 100);
    push(false, false, 240);
    const p = pairedComparison(a, b, { seed: 3 });
    const se = Math.sqrt(0.1475 / 400);
    expect(p.difference).toBeCloseTo(0.05, 12);
    expect(Math.abs(p.low - (0.05 - 1.96 * se))).toBeLessThan(0.006);
    expect(Math.abs(p.high - (0.05 + 1.96 * se))).toBeLessThan(0.006);
    expect([p.onlyA, p.onlyB]).toEqual([40, 20]);
    expect(p.pValue).toBeCloseTo(mcnemarExact(40, 20), 12);
    expect(p.pValue).toBeLessThan(0.05);
    expect(p.real).toBe(true);
    // the same seed gives the same interval; another seed a slightly different one
    expect(pairedComparison(a, b, { seed: 3 })).toEqual(p);
    expect(formatPaired(p)).toMatch(/^\+5\.0 \[\+\d\.\d, \+\d\.\d\], p = 0\.0\d\d$/);
  });

  it('rejects mismatched, empty or out-of-range input, naming the value', () => {
    expect(() => pairedComparison([true], [true, false])).toThrow(/1 and 2 results/);
    expect(() => pairedComparison([], [])).toThrow(/0 and 0 results/);
    expect(() => pairedComparison([true], [false], { level: 1 })).toThrow(/level = 1/);
    expect(() => pairedComparison([true], [false], { resamples: 10 })).toThrow(/resamples = 10/);
  });
});
