/**
 * Fixed mixing weights ω over an adapter's N heads, as users write them: `uniform` (1/N each),
 * `head:<i>` (one-hot on head i) or N non-negative numbers summing to 1 (an array, or the string
 * `w1,w2,…`).
 */

/** What users pass for ω: `uniform`, `head:<i>`, `w1,w2,…` or an array of N numbers. */
export type HeadWeightsSpec = string | readonly number[];

/** How far the weights may sum from 1 (rounding in hand-written decimals such as 0.1,0.2,0.7). */
const SUM_TOLERANCE = 1e-6;

/**
 * Parse and validate ω for `numHeads` heads. Errors name `field` (e.g. `--weights`), the value
 * and what was expected.
 */
export function parseHeadWeights(spec: HeadWeightsSpec, numHeads: number, field = 'weights'): number[] {
  const shown = JSON.stringify(typeof spec === 'string' ? spec : [...spec]);
  const fail = (why: string): never => {
    throw new Error(`${field} = ${shown}: ${why}`);
  };
  const expected = `expected uniform, head:<i> (0 ≤ i < ${numHeads}) or ${numHeads} comma-separated numbers ≥ 0 summing to 1`;
  let values: number[];
  if (typeof spec === 'string') {
    const text = spec.trim();
    if (text === 'uniform') return new Array<number>(numHeads).fill(1 / numHeads);
    const head = /^head:(.*)$/.exec(text);
    if (head) {
      const index = (head[1] ?? '').trim();
      const i = Number(index);
      if (index === '' || !Number.isInteger(i)) return fail(`'${index}' is not a head index; ${expected}`);
      if (i < 0 || i >= numHeads)
        return fail(`head ${i} is out of range: the adapter has ${numHeads} head(s), 0 … ${numHeads - 1}`);
      return Array.from({ length: numHeads }, (_, k) => (k === i ? 1 : 0));
    }
    values = text.split(',').map((part) => {
      const word = part.trim();
      const n = Number(word);
      return word === '' || !Number.isFinite(n) ? fail(`'${word}' is not a number; ${expected}`) : n;
    });
  } else {
    values = [...spec];
  }
  if (values.length !== numHeads)
    fail(`${values.length} weight(s) for an adapter with ${numHeads} head(s); ${expected}`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v) || v < 0) fail(`weight ${i} is ${v}; every weight must be a number ≥ 0`);
  });
  const sum = values.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > SUM_TOLERANCE) fail(`the weights sum to ${sum}, expected 1`);
  return values;
}

/** ω for messages: `[0.25, 0.25, 0.5]` (4 significant digits). */
export function formatHeadWeights(weights: readonly number[]): string {
  return `[${weights.map((w) => Number(w.toPrecision(4))).join(', ')}]`;
}
