/**
 * A stable, seedable string hash: FNV-1a (32 bit) mixed with the seed, then murmur3's fmix32
 * avalanche, so nearby keys land far apart. The same text and seed give the same number on every
 * machine (no dependence on Map order or `Math.random`).
 */

/** Hash of `text` with `seed`: an unsigned 32-bit integer. */
export function stableHash(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) derived from `stableHash(text, seed)`. */
export function hashUnit(text: string, seed = 0): number {
  return stableHash(text, seed) / 0x1_0000_0000;
}
