import { describe, expect, it } from 'vitest';
import { formatPercentInterval, meanInterval } from './stats.js';

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
