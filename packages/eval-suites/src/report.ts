import type { TaskResult } from './registry.js';

/** The columns of the paper's Tables 2 and 3, and the metric each reads: `[task, metric]`. */
export const PAPER_TABLE_COLUMNS: readonly { header: string; task: string; metric: string }[] = [
  { header: 'MMLU', task: 'mmlu', metric: 'accuracy' },
  { header: 'Medical', task: 'mmlu', metric: 'medical' },
  { header: 'Law', task: 'mmlu', metric: 'law' },
  { header: 'HumanEval P@1', task: 'humaneval', metric: 'pass@1' },
  { header: 'P@10', task: 'humaneval', metric: 'pass@10' },
  { header: 'GSM8K', task: 'gsm8k', metric: 'accuracy' },
  { header: 'BBH', task: 'bbh', metric: 'accuracy' },
];

/** One row of the table: a method name and its task results. */
export interface TableRow {
  name: string;
  results: readonly TaskResult[];
}

/**
 * A markdown table shaped like the paper's Tables 2 and 3: one row per method, percentages with one
 * decimal, `–` where a number was not measured.
 */
export function formatPaperTable(rows: readonly TableRow[]): string {
  const header = `| Method | ${PAPER_TABLE_COLUMNS.map((c) => c.header).join(' | ')} |`;
  const rule = `|---|${PAPER_TABLE_COLUMNS.map(() => '---:').join('|')}|`;
  const lines = rows.map((row) => {
    const cells = PAPER_TABLE_COLUMNS.map((column) => {
      const value = row.results.find((r) => r.task === column.task)?.metrics[column.metric];
      return value === undefined ? '–' : (100 * value).toFixed(1);
    });
    return `| ${row.name.replace(/\|/g, '\\|')} | ${cells.join(' | ')} |`;
  });
  return [header, rule, ...lines].join('\n');
}

/** Results as pretty JSON (with a trailing newline). */
export function formatResultsJson(results: TaskResult | readonly TaskResult[]): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}
