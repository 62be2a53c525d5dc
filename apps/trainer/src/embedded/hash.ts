/**
 * Stable, seedable hashing and a small seeded PRNG. Everything the embedded corpora do that
 * looks random goes through these two functions, so a seed reproduces a corpus byte for byte on
 * every machine and Node version (no `Math.random`, no iteration order of hash maps).
 */

import { mulberry32, shuffleWith, stableHash } from '@hydralora/common';

export { hashUnit, stableHash } from '@hydralora/common';

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export type Rng = () => number;

/**
 * The corpora's generator: @hydralora/common's mulberry32 seeded by `stableHash('rng', seed)`, so
 * nearby seeds give unrelated sequences; the same seed always yields the same sequence.
 */
export function createRng(seed: number): Rng {
  return mulberry32(stableHash('rng', seed));
}

/** An integer in [min, max] (both inclusive). */
export function randInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

/** One element of a non-empty array. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error('pick: empty array');
  return items[Math.floor(rng() * items.length)] as T;
}

/** A new array with the elements of `items` in a seeded (Fisher–Yates) order. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  return shuffleWith(rng, items.slice());
}
