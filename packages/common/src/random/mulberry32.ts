/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): the one seeded pseudo-random source of the
 * hydralora packages. Its whole state is one 32-bit integer, so a seed (or a saved state)
 * reproduces a sequence exactly on every machine and Node version. Every seeded sequence the
 * packages produced before this module existed (weights of the random test models, the shuffle
 * order of each epoch, k-means++ seeding, the embedded corpora) is this generator, so switching
 * to it changes no number.
 */

/** One step: advance `state` and return [new state, unsigned 32-bit output]. */
export function mulberry32Step(state: number): [number, number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [next, (t ^ (t >>> 14)) >>> 0];
}

/** A generator of uniform numbers in [0, 1) (multiples of 2⁻³²) seeded by `seed >>> 0`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    const [next, out] = mulberry32Step(state);
    state = next;
    return out / 4294967296;
  };
}
