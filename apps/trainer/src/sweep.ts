/**
 * `hydralora sweep`, the paper's score-against-K figure (Figure 8 in arXiv:2404.19245v2) on the embedded default: HydraLoRA r=8 with N = K for
 * each K of a range (the B heads fixed rather than taken from the elbow), over the given seeds;
 * exact match overall and per component against K, as JSON, a markdown table and a line chart.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync as writeFileAtomic } from '@hydralora/common';
import { markdownTable, markdownTableToHtml, renderReport, writeReport } from './report/html.js';
import { lineChart } from './report/svg.js';
import { machineDescription } from './repro.js';
import { type EvalScores, prepareEmbedded, type RunOptions, trainAndEvaluate } from './run-embedded.js';
import { formatPercentInterval, type MeanInterval, meanInterval } from './stats.js';

export interface SweepOptions extends RunOptions {
  /** The K values (N = number of B heads) to train. */
  ks: number[];
  seeds: number[];
  /** LoRA rank of the shared A and each B head (default 8). */
  r?: number;
  commandLine?: string;
}

export interface SweepRow {
  k: number;
  trainable: number;
  percent: number;
  perComponent: Record<string, MeanInterval>;
  overall: MeanInterval;
  trainSeconds: MeanInterval;
}

export interface SweepResult {
  components: string[];
  elbowK: number;
  rows: SweepRow[];
  table: string;
  files: { results: string; markdown: string; report: string };
  seconds: number;
}

/**
 * Parse a K range: `1..6`, `2,4,8` or `3`. Throws naming the flag and value unless every K is a
 * positive integer and the list is non-empty.
 */
export function parseKRange(value: string, flag = '--k'): number[] {
  const bad = () =>
    new Error(
      `${flag}: expected a range like 1..6 or a list like 2,4,8 of positive integers, got '${value}'`,
    );
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(value);
  let ks: number[];
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    if (lo > hi) throw bad();
    ks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  } else ks = value.split(',').map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw bad();
  return [...new Set(ks)];
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const t0 = performance.now();
  const info = o.onInfo ?? (() => {});
  if (o.ks.length === 0) throw new Error('--k: no K values');
  if (o.seeds.length === 0) throw new Error('--seeds: need at least one seed');
  const r = o.r ?? 8;
  mkdirSync(o.out, { recursive: true });
  const setup = prepareEmbedded(o);
  const { components } = setup;
  const rows: SweepRow[] = [];
  for (const k of o.ks) {
    const runs: EvalScores[] = [];
    for (const seed of o.seeds) {
      info(`HydraLoRA N=${k}: seed ${seed}`);
      runs.push(
        await trainAndEvaluate(setup, o, {
          label: `N=${k} seed ${seed}`,
          out: path.join(o.out, 'runs', `k${k}-seed${seed}`),
          method: 'hydra',
          r,
          heads: k,
          seed,
        }),
      );
    }
    rows.push({
      k,
      trainable: runs[0]!.trainable,
      percent: runs[0]!.percent,
      perComponent: Object.fromEntries(
        components.map((c) => [c, meanInterval(runs.map((x) => x.perComponent[c] ?? 0))]),
      ),
      overall: meanInterval(runs.map((x) => x.overall)),
      trainSeconds: meanInterval(runs.map((x) => x.trainSeconds)),
    });
  }
  const seconds = (performance.now() - t0) / 1000;
  const elbowK = setup.clustering.k;
  const headers = ['K (B heads)', '%Param', ...components, 'overall', 'train s'];
  const body = rows.map((x) => [
    `${x.k}${x.k === elbowK ? ' (elbow)' : ''}`,
    x.percent.toFixed(3),
    ...components.map((c) => formatPercentInterval(x.perComponent[c]!)),
    formatPercentInterval(x.overall),
    x.trainSeconds.mean.toFixed(1),
  ]);
  const table = markdownTable(headers, body);
  const date = new Date().toISOString();
  const resultsFile = path.join(o.out, 'sweep.json');
  const mdFile = path.join(o.out, 'sweep.md');
  writeFileAtomic(
    resultsFile,
    `${JSON.stringify({ command: o.commandLine ?? null, date, machine: machineDescription(), seeds: o.seeds, r, components, elbowK, rows, seconds }, null, 2)}\n`,
  );
  writeFileAtomic(
    mdFile,
    [
      '# hydralora sweep: exact match against the number of B heads',
      '',
      `- command: \`${o.commandLine ?? 'hydralora sweep'}\``,
      `- seeds: ${o.seeds.join(', ')}; HydraLoRA r=${r}; the SSE elbow picks ${elbowK}`,
      `- date: ${date}`,
      `- machine: ${machineDescription()}`,
      '',
      'Held-out exact match (%), mean ± 95% t-interval over seeds (no interval with one seed).',
      '',
      table,
      '',
    ].join('\n'),
  );
  const series = [
    { name: 'overall', points: rows.map((x) => [x.k, x.overall.mean] as [number, number]) },
    ...components.map((c) => ({
      name: c,
      points: rows.map((x) => [x.k, x.perComponent[c]!.mean] as [number, number]),
    })),
  ];
  const report = writeReport(
    path.join(o.out, 'sweep.html'),
    renderReport('hydralora sweep', `seeds ${o.seeds.join(', ')} · ${date} · ${machineDescription()}`, [
      {
        title: 'Exact match against K',
        note: `HydraLoRA r=${r} with K B heads; the dashed line marks the SSE elbow's K = ${elbowK}.`,
        html: lineChart('Held-out exact match against K', series, {
          xLabel: 'K (B heads)',
          yLabel: 'accuracy',
          markers: true,
          highlightX: elbowK,
        }),
      },
      { title: 'Results (%)', html: markdownTableToHtml(headers, body) },
    ]),
  );
  return {
    components,
    elbowK,
    rows,
    table,
    files: { results: resultsFile, markdown: mdFile, report },
    seconds,
  };
}
