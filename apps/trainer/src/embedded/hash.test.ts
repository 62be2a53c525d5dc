import { describe, expect, it } from 'vitest';
import { createRng, hashUnit, shuffled, stableHash } from './hash.js';

describe('stable hashing and seeded randomness', () => {
  it('is deterministic and depends on the seed', () => {
    expect(stableHash('brown/ca01', 0)).toBe(stableHash('brown/ca01', 0));
    expect(stableHash('brown/ca01', 0)).not.toBe(stableHash('brown/ca01', 1));
    const a = createRng(7);
    const b = createRng(7);
    const seqA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(seqA);
    expect(Array.from({ length: 5 }, createRng(8))).not.toEqual(seqA);
  });

  it('spreads keys uniformly (chi-square over 10 buckets, 20k keys)', () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) buckets[Math.floor(hashUnit(`key-${i}`, 3) * 10)]++;
    const expected = 2000;
    const chi2 = buckets.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    // 9 degrees of freedom: the 99.9th percentile is 27.88
    expect(chi2).toBeLessThan(27.88);
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += rng();
    // mean of 20k U(0,1): sd = sqrt(1/12/20000) ≈ 0.002; allow 5 sd
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const out = shuffled(createRng(2), items);
    expect(out).not.toEqual(items);
    expect([...out].sort((x, y) => x - y)).toEqual(items);
  });
});
