import { scaleLinear, scaleLog } from 'd3-scale';
import { describe, expect, it } from 'vitest';
import { lineChart } from './svg.js';
import { axisTicks, formatTicks, labelExtent, type Tick } from './ticks.js';

/** The checks every axis must pass: labels distinct, exact, and their boxes apart. */
function checkAxis(ticks: Tick[], axis: 'x' | 'y') {
  const shown = ticks.filter((t) => t.shown);
  expect(shown.length).toBeGreaterThanOrEqual(2);
  expect(new Set(shown.map((t) => t.label)).size).toBe(shown.length);
  for (const t of ticks)
    expect(Number(t.label)).toBeCloseTo(t.value, 9 - Math.floor(Math.log10(Math.abs(t.value) || 1)));
  const boxes = shown.map((t) => labelExtent(t.label, t.position, axis)).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < boxes.length; i++) expect(boxes[i]![0]).toBeGreaterThanOrEqual(boxes[i - 1]![1]);
}

describe('axis ticks', () => {
  it('the SSE axis of the report: distinct labels where 1.4e+3 was repeated', () => {
    // the elbow chart's range (SSE from 1,247 to 1,402): d3 ticks every 20
    const y = scaleLinear().domain([1247, 1402]).nice().range([312, 36]);
    const ticks = axisTicks(y, 'y');
    // integer ticks print as integers, every one labelled (the old format gave 1.2e+3 / 1.3e+3 / 1.4e+3 repeated)
    expect(ticks.map((t) => t.label)).toEqual(y.ticks(6).map(String));
    expect(ticks.every((t) => t.shown)).toBe(true);
    checkAxis(ticks, 'y');
  });

  const linear: [number, number][] = [
    [0, 1],
    [1342.1, 1351.7],
    [0.0012, 0.0013],
    [100000, 100040],
    [-3.5, 2.25],
    [2.301, 2.3012],
    [1e6, 9e6],
  ];
  for (const domain of linear) {
    it(`linear ${domain.join('..')}: distinct exact labels, no overlap on either axis`, () => {
      const y = scaleLinear().domain(domain).nice().range([312, 36]);
      checkAxis(axisTicks(y, 'y'), 'y');
      const x = scaleLinear().domain(domain).nice().range([64, 430]);
      checkAxis(axisTicks(x, 'x'), 'x');
    });
  }

  const logs: [number, number][] = [
    [0.5, 8], // a loss curve: d3 gives 1..9 per decade
    [2.1, 2.3], // narrow
    [1e-3, 10],
    [1.2, 1.9],
    [0.05, 300],
  ];
  for (const domain of logs) {
    it(`log ${domain.join('..')}: labels do not overlap, powers of ten kept`, () => {
      const y = scaleLog().domain(domain).nice().range([312, 36]);
      const ticks = axisTicks(y, 'y', { log: true });
      checkAxis(ticks, 'y');
      for (const t of ticks) {
        const decade = Math.abs(Math.log10(t.value) - Math.round(Math.log10(t.value))) < 1e-9;
        if (decade) expect(t.shown).toBe(true);
      }
    });
  }

  it('formats with the fewest digits that spell every value', () => {
    expect(formatTicks([0, 0.5, 1])).toEqual(['0', '0.5', '1.0']);
    expect(formatTicks([0.2, 0.3, 1, 2], 'each')).toEqual(['0.2', '0.3', '1', '2']);
    expect(formatTicks([100000, 150000, 200000])).toEqual(['1e+5', '1.5e+5', '2e+5']);
    expect(formatTicks([0.0001, 0.00015])).toEqual(['1e-4', '1.5e-4']);
  });

  it('the loss chart on a log axis draws no overlapping labels', () => {
    const points: [number, number][] = Array.from({ length: 50 }, (_, i) => [i, 7 * Math.exp(-i / 12) + 0.6]);
    const svg = lineChart('loss', [{ name: 'train', points }], {
      xLabel: 'step',
      yLabel: 'loss',
      logY: true,
    });
    const labels = [
      ...svg.matchAll(/translate\(64 ([\d.]+)\)"><line x2="-5"[^>]*\/><line[^>]*\/><text[^>]*>([^<]+)</g),
    ].map((m) => [Number(m[1]), m[2]!] as const);
    expect(labels.length).toBeGreaterThanOrEqual(2);
    expect(new Set(labels.map((l) => l[1])).size).toBe(labels.length);
    const ys = labels.map((l) => l[0]).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(12);
  });
});
