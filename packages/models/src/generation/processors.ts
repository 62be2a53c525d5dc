/**
 * Logits processors and samplers for generation. Each works in place on one sequence's
 * next-token logits (a Float32Array of vocabulary size) on the host, in the order given.
 */

/** Transforms one sequence's next-token logits in place. */
export interface LogitsProcessor {
  process(logits: Float32Array): void;
}

/** Divide logits by a temperature > 0. */
export class TemperatureProcessor implements LogitsProcessor {
  constructor(readonly temperature: number) {
    if (!(temperature > 0)) throw new Error(`temperature must be > 0, got ${temperature}`);
  }
  process(logits: Float32Array): void {
    for (let i = 0; i < logits.length; i++) logits[i] = (logits[i] as number) / this.temperature;
  }
}

/** Keep the k largest logits (ties at the k-th value kept), set the rest to -Infinity. */
export class TopKProcessor implements LogitsProcessor {
  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`top-k must be an integer ≥ 1, got ${k}`);
  }
  process(logits: Float32Array): void {
    if (this.k >= logits.length) return;
    const sorted = Float32Array.from(logits).sort();
    const threshold = sorted[sorted.length - this.k] as number;
    for (let i = 0; i < logits.length; i++) if ((logits[i] as number) < threshold) logits[i] = -Infinity;
  }
}

/**
 * Nucleus filtering: keep the smallest set of most likely tokens whose probability sums to at
 * least p (always at least one), set the rest to -Infinity.
 */
export class TopPProcessor implements LogitsProcessor {
  constructor(readonly p: number) {
    if (!(p > 0 && p <= 1)) throw new Error(`top-p must be in (0, 1], got ${p}`);
  }
  process(logits: Float32Array): void {
    if (this.p >= 1) return;
    const probs = softmax(logits);
    const order = Array.from(probs.keys()).sort((a, b) => (probs[b] as number) - (probs[a] as number));
    let cumulative = 0;
    const keep = new Uint8Array(logits.length);
    for (const i of order) {
      keep[i] = 1;
      cumulative += probs[i] as number;
      if (cumulative >= this.p) break;
    }
    for (let i = 0; i < logits.length; i++) if (!keep[i]) logits[i] = -Infinity;
  }
}

/** Numerically stable softmax of a logits row (float64 accumulation). */
export function softmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/** Picks the next token from processed logits. */
export interface Sampler {
  choose(logits: Float32Array): number;
}

/** The most likely token (the lowest id among ties). */
export class GreedySampler implements Sampler {
  choose(logits: Float32Array): number {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
    return best;
  }
}

/** Draws a token from softmax(logits) with a seeded PRNG. */
export class MultinomialSampler implements Sampler {
  constructor(private readonly random: () => number) {}
  choose(logits: Float32Array): number {
    const probs = softmax(logits);
    let u = this.random();
    for (let i = 0; i < probs.length; i++) {
      u -= probs[i] as number;
      if (u < 0) return i;
    }
    for (let i = probs.length - 1; i >= 0; i--) if ((probs[i] as number) > 0) return i;
    return 0;
  }
}
