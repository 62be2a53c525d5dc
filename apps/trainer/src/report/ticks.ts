/**
 * Axis ticks for the report charts: labels that are distinct and exact (the fewest decimals, or
 * significant digits in exponent form, that still spell each tick value), and, on crowded axes
 * (log scales), only as many labels as fit without their boxes overlapping — powers of ten first,
 * then 2 and 5 × 10ⁿ, then the rest. Every tick keeps its mark and grid line.
 */

/** One tick: its value, pixel position, label, and whether the label is drawn. */
export interface Tick {
  value: number;
  position: number;
  label: string;
  shown: boolean;
}

/** Font size of the labels in px (the charts' `font-size`). */
export const LABEL_FONT = 12;
/** Estimated width of one character of a label (system-ui digits ≈ 0.6 em). */
const CHAR_WIDTH = 0.6 * LABEL_FONT;
/** Space kept free between two labels, px. */
const GAP = 3;

const represents = (label: string, value: number) =>
  Math.abs(Number(label) - value) <= 1e-9 * Math.max(Math.abs(value), Number.MIN_VALUE);

/** Exponent form with the trailing zeros of the mantissa dropped: 1.35e+5, 2e-4. */
function exponent(value: number, digits: number): string {
  const [mantissa, power] = value.toExponential(digits).split('e');
  const trimmed = mantissa!.includes('.') ? mantissa!.replace(/0+$/, '').replace(/\.$/, '') : mantissa!;
  return `${trimmed}e${power}`;
}

/**
 * Labels for `values`: fixed notation when the largest |value| is in [1e-3, 1e5), exponent
 * notation outside. `'common'` (linear axes) gives every label the same number of decimals,
 * `'each'` (log axes) the fewest for each value. Labels always parse back to their value; if two
 * values cannot be told apart at 12 digits they still get the most precise labels there are.
 */
export function formatTicks(values: readonly number[], mode: 'common' | 'each' = 'common'): string[] {
  if (values.length === 0) return [];
  const largest = Math.max(...values.map(Math.abs));
  const useExponent = largest >= 1e5 || (largest > 0 && largest < 1e-3);
  const at = (v: number, digits: number) =>
    v === 0 ? '0' : useExponent ? exponent(v, digits) : v.toFixed(digits);
  const minimal = (v: number) => {
    for (let d = 0; d < 12; d++) if (represents(at(v, d), v)) return d;
    return 12;
  };
  if (mode === 'each') return values.map((v) => at(v, minimal(v)));
  const digits = Math.max(...values.map(minimal));
  return values.map((v) => at(v, digits));
}

/** Estimated label box along the axis: [start, end] in px around `position`. */
export function labelExtent(label: string, position: number, axis: 'x' | 'y'): [number, number] {
  const half = axis === 'x' ? (label.length * CHAR_WIDTH) / 2 : LABEL_FONT / 2;
  return [position - half, position + half];
}

/** Rank of a log tick: 0 for 10ⁿ, 1 for 5 × 10ⁿ, 2 for 2 × 10ⁿ, 3 for the others. */
function logRank(value: number): number {
  const mantissa = Number(
    (Math.abs(value) / 10 ** Math.floor(Math.log10(Math.abs(value)) + 1e-12)).toPrecision(6),
  );
  return mantissa === 1 ? 0 : mantissa === 5 ? 1 : mantissa === 2 ? 2 : 3;
}

/**
 * Ticks of a d3 scale (`scale.ticks(count)`), labelled, with labels hidden where they would
 * overlap a more important one (for linear scales, the earlier ones in axis order win).
 */
export function axisTicks(
  scale: { ticks(count: number): number[]; (value: number): number },
  axis: 'x' | 'y',
  options: { count?: number; log?: boolean } = {},
): Tick[] {
  const values = scale.ticks(options.count ?? 6);
  const labels = formatTicks(values, options.log ? 'each' : 'common');
  const ticks = values.map((value, i) => ({
    value,
    position: scale(value),
    label: labels[i]!,
    shown: false,
  }));
  const order = ticks.map((_, i) => i);
  if (options.log) order.sort((a, b) => logRank(values[a]!) - logRank(values[b]!) || a - b);
  const taken: [number, number][] = [];
  for (const i of order) {
    const tick = ticks[i]!;
    const [start, end] = labelExtent(tick.label, tick.position, axis);
    if (taken.some(([s, e]) => start < e + GAP && s < end + GAP)) continue;
    taken.push([start, end]);
    tick.shown = true;
  }
  return ticks;
}
