import { describe, expect, it } from 'vitest';
import { markdownTable, renderReport } from './html.js';
import { barChart, escapeXml, heatmap, intervalChart, lineChart, scatter } from './svg.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('svg charts', () => {
  it('draws one path per series, markers and the chosen-K line', () => {
    const svg = lineChart(
      'SSE',
      [
        {
          name: 'a',
          points: [
            [1, 10],
            [2, 5],
            [3, 4],
          ],
        },
        {
          name: 'b<c>',
          points: [
            [1, 3],
            [2, 2],
          ],
        },
      ],
      { xLabel: 'K', yLabel: 'SSE', markers: true, highlightX: 2 },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(count(svg, /<path d="M/g)).toBe(2);
    expect(count(svg, /<circle/g)).toBe(5);
    expect(svg).toContain('b&lt;c&gt;');
    expect(svg).toContain('chosen');
  });

  it('interval chart: one row per label across panels, a missing row left empty, x positions ordered', () => {
    const svg = intervalChart(
      'diffs',
      [
        {
          name: 'vs A',
          rows: [
            { label: 'm<1>', value: 2, low: 1, high: 3, real: true },
            { label: 'm2', value: -1, low: -4, high: 2 },
          ],
        },
        { name: 'vs B', rows: [{ label: 'm2', value: 0.5, low: -0.5, high: 1.5 }] },
      ],
      { xLabel: 'points' },
    );
    expect(svg).toContain('m&lt;1&gt;');
    // each label once on the left, whatever the number of panels
    expect(svg.match(/>m2<\/text>/g)).toHaveLength(1);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    // m<1>: low < value < high on the x axis
    const m = svg.match(
      /m&lt;1&gt; \(vs A\)[^<]*<\/title><line x1="([\d.]+)" x2="([\d.]+)"[^>]*\/><circle cx="([\d.]+)"/,
    )!;
    const [lo, hi, v] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
    expect(lo).toBeLessThan(v);
    expect(v).toBeLessThan(hi);
  });

  it('heatmap has one cell per value, printed with two decimals', () => {
    const svg = heatmap(
      'usage',
      ['r1', 'r2'],
      ['h1', 'h2', 'h3'],
      [
        [0.1, 0.2, 0.7],
        [1, 0, 0],
      ],
      { xLabel: 'head', yLabel: 'component' },
    );
    expect(count(svg, /<rect x=/g)).toBe(6);
    expect(svg).toContain('>0.70<');
  });

  it('scatter and bar charts draw every point and bar with error bars', () => {
    expect(
      count(
        scatter(
          't',
          [
            {
              name: 'A',
              points: [
                [0, 0],
                [1, 1],
              ],
            },
            { name: 'B', points: [[2, 2]] },
          ],
          { xLabel: 'x', yLabel: 'y' },
        ),
        /<circle/g,
      ),
    ).toBe(3);
    const bars = barChart(
      'acc',
      ['c1', 'c2'],
      [
        { name: 'lora', values: [0.5, 0.6], errors: [0.1, 0.05] },
        { name: 'hydra', values: [0.7, 0.2] },
      ],
      { xLabel: '', yLabel: 'acc', max: 1 },
    );
    expect(count(bars, /<title>/g)).toBe(4);
    expect(count(bars, /<line x1=/g)).toBe(2);
  });

  it('escapes text and renders tables', () => {
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(markdownTable(['m', 'acc'], [['lora|x', 0.5]])).toBe(
      '| m | acc |\n| --- | ---: |\n| lora\\|x | 0.5 |',
    );
    const html = renderReport('T', 'sub', [{ title: 'S', html: '<p>x</p>' }]);
    expect(html).toContain('<h2>S</h2>');
    expect(html).not.toContain('<script');
  });
});
