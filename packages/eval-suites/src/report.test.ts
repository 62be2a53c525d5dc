import { describe, expect, it } from 'vitest';
import type { TaskResult } from './registry.js';
import { formatPaperTable, formatResultsJson } from './report.js';
import { mapInBatches } from './util/batch.js';
import { truncateAtStop } from './util/text.js';

const result = (task: string, metrics: Record<string, number>): TaskResult => ({
  task,
  metrics,
  count: 1,
  details: null,
  config: {},
});

describe('formatPaperTable', () => {
  it('has the columns of Tables 2 and 3 and percentages with one decimal', () => {
    const table = formatPaperTable([
      {
        name: 'HydraLoRA',
        results: [
          result('mmlu', { accuracy: 0.4719, medical: 0.3823, law: 0.3949 }),
          result('humaneval', { 'pass@1': 0.1281, 'pass@10': 0.2 }),
          result('gsm8k', { accuracy: 0.1653 }),
        ],
      },
      { name: 'a|b', results: [result('bbh', { accuracy: 0.3 })] },
    ]);
    expect(table.split('\n')).toEqual([
      '| Method | MMLU | Medical | Law | HumanEval P@1 | P@10 | GSM8K | BBH |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      '| HydraLoRA | 47.2 | 38.2 | 39.5 | 12.8 | 20.0 | 16.5 | – |',
      '| a\\|b | – | – | – | – | – | – | 30.0 |',
    ]);
    expect(JSON.parse(formatResultsJson(result('gsm8k', { accuracy: 1 })))).toMatchObject({ task: 'gsm8k' });
  });
});

describe('helpers', () => {
  it('mapInBatches keeps order, reports progress and checks result counts', async () => {
    const events: string[] = [];
    const progress = {
      start: (total: number, label: string) => events.push(`start ${total} ${label}`),
      increment: (n: number) => events.push(`+${n}`),
      stop: () => events.push('stop'),
    };
    expect(await mapInBatches([1, 2, 3, 4, 5], 2, async (b) => b.map((x) => x * 10), progress, 'x')).toEqual([
      10, 20, 30, 40, 50,
    ]);
    expect(events).toEqual(['start 5 x', '+2', '+2', '+1', 'stop']);
    await expect(mapInBatches([1, 2], 2, async () => [1])).rejects.toThrow(
      'the model returned 1 results for a batch of 2',
    );
    await expect(mapInBatches([1], 0, async (b) => b)).rejects.toThrow(
      'batchSize must be a positive integer, got 0',
    );
  });

  it('truncateAtStop cuts at the earliest stop sequence', () => {
    expect(truncateAtStop('    return 1\n\ndef g():\n#x', ['\n#', '\ndef'])).toBe('    return 1\n');
    expect(truncateAtStop('abc', ['x'])).toBe('abc');
  });
});
