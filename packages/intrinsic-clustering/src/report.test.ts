import { describe, expect, it } from 'vitest';
import { findComponents } from './find-components.js';
import { formatSummary, plotElbow, toReport } from './report.js';

describe('reports', () => {
  it('plots the SSE curve with bars proportional to SSE − min and marks the chosen K', () => {
    const plot = plotElbow([1, 2, 3], [10, 4, 2], 2, 9).split('\n');
    expect(plot).toEqual(['K=1        10.00 #########', 'K=2         4.00 ### ◀', 'K=3         2.00 #']);
  });

  it('has the JSON fields the CLI promises and a readable summary', () => {
    const texts = ['red green blue', 'green blue red', 'cat dog bird', 'dog bird cat'];
    const result = findComponents(texts, { kMax: 3, k: 2 });
    const report = JSON.parse(JSON.stringify(toReport(result)));
    expect(report).toMatchObject({ k: 2, k_max: 3, documents: 4, elbow: { forced: true } });
    expect(report.sse).toHaveLength(3);
    expect(report.labels).toHaveLength(4);
    expect(report.labels[0]).toBe(report.labels[1]);
    expect(report.labels[2]).not.toBe(report.labels[0]);
    expect(report.sizes).toEqual([2, 2]);
    expect(report.top_terms).toHaveLength(2);
    const summary = formatSummary(result);
    expect(summary).toContain('chosen K = 2 (forced with --k)');
    expect(summary).toMatch(/cluster 0 \(2 docs\): /);
  });
});
