/**
 * A seeded random source with the draws the packages need: uniform, integers, normals and
 * shuffles. All draws come from {@link mulberry32}, in a documented order, so a caller that used
 * to draw `Math.floor(rand() * n)` by hand gets the same numbers from `int(n)`.
 */
import { mulberry32Step } from './mulberry32.js';

/** A seeded random source (see {@link createRng}). */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform unsigned 32-bit integer (the raw output; `next() === uint32() / 2³²`). */
  uint32(): number;
  /** Uniform integer in [0, n): `Math.floor(next() * n)`. */
  int(n: number): number;
  /**
   * Standard normal by Box–Muller: draws u (redrawn while 0) then v, returns r·cos(2πv) and keeps
   * r·sin(2πv) for the next call.
   */
  normal(): number;
  /** Fisher–Yates in place (i from the end, j = int(i + 1)); returns the same array. */
  shuffle<T>(array: T[]): T[];
  /** An independent generator seeded by this one's next `uint32()`. */
  fork(): Rng;
  /** The 32-bit state: `createRng(rng.state())` continues the same sequence (no cached normal). */
  state(): number;
}

/**
 * Fisher–Yates in place with any uniform source `next` in [0, 1): i from the end, j =
 * floor(next() · (i + 1)). Returns the same array. `Rng.shuffle` is this with its own `next`.
 */
export function shuffleWith<T>(next: () => number, array: T[]): T[] {
  for (let i = array.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = array[i] as T;
    array[i] = array[j] as T;
    array[j] = tmp;
  }
  return array;
}

/** A seeded random source; the same seed always gives the same draws. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  let spare: number | undefined;
  const uint32 = (): number => {
    const [nextState, out] = mulberry32Step(state);
    state = nextState;
    return out;
  };
  const next = (): number => uint32() / 4294967296;
  const rng: Rng = {
    next,
    uint32,
    int(n: number): number {
      if (!(n > 0)) throw new RangeError(`Rng.int(n): n must be positive, got ${n}`);
      return Math.floor(next() * n);
    },
    normal(): number {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    shuffle: <T>(array: T[]): T[] => shuffleWith(next, array),
    fork: () => createRng(uint32()),
    state: () => state,
  };
  return rng;
}
