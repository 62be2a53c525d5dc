/**
 * `hydralora analyze`, the paper's Figure 3 for our own adapters: the A and B matrices of every
 * head and layer, their t-SNE map, the mean pairwise cosine similarity among A's (across layers)
 * and among B heads (within a layer), and, given examples with known components, the router's
 * usage of each head per component.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32, writeFileAtomicSync as writeFileAtomic } from '@hydralora/common';
import { loadAdapter, methodRegistry, readAdapterConfig } from '@hydralora/core-adapters';
import { loadPretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import TSNE from 'tsne-js';
import type { InstructionExample } from './embedded/index.js';
import { evaluateExamples, routerUsage } from './evaluate.js';
import { markdownTableToHtml, renderReport, writeReport } from './report/html.js';
import { heatmap, scatter } from './report/svg.js';

/** The flattened factors of one adapted module: A heads as Aᵢᵀ [r, in], B heads as Bᵢ [r, out]. */
export interface LayerMatrices {
  module: string;
  /** The module name with layer indices replaced by `*` (e.g. `model.layers.*.self_attn.q_proj`). */
  kind: string;
  inFeatures: number;
  outFeatures: number;
  a: Float32Array[];
  b: Float32Array[];
}

/** Mean pairwise cosine similarity of a set of pairs; null when there are no pairs. */
export interface CosineStat {
  mean: number | null;
  pairs: number;
}

export interface CosineSummary {
  /** A's of the same module kind in different layers (head i with head i). */
  aAcrossLayers: CosineStat;
  /** B heads of the same module kind in different layers (head i with head i). */
  bAcrossLayers: CosineStat;
  /** Different A heads within one layer (LoRA-MoE, Split, inverted Hydra). */
  aWithinLayer: CosineStat;
  /** Different B heads within one layer (HydraLoRA's heads). */
  bWithinLayer: CosineStat;
}

export function cosine(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) throw new Error(`cosine: lengths differ (${x.length} vs ${y.length})`);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xx === 0 || yy === 0 ? 0 : xy / Math.sqrt(xx * yy);
}

function stat(values: number[]): CosineStat {
  return {
    mean: values.length ? values.reduce((s, v) => s + v, 0) / values.length : null,
    pairs: values.length,
  };
}

/** The numeric side of Figure 3: are the A's alike across layers and the B heads distinct? */
export function cosineSummary(layers: readonly LayerMatrices[]): CosineSummary {
  const within = (pick: (l: LayerMatrices) => Float32Array[]) =>
    layers.flatMap((l) => {
      const m = pick(l);
      const out: number[] = [];
      for (let i = 0; i < m.length; i++)
        for (let j = i + 1; j < m.length; j++) out.push(cosine(m[i]!, m[j]!));
      return out;
    });
  const across = (pick: (l: LayerMatrices) => Float32Array[]) => {
    const byKind = new Map<string, LayerMatrices[]>();
    for (const l of layers) byKind.set(l.kind, [...(byKind.get(l.kind) ?? []), l]);
    const out: number[] = [];
    for (const group of byKind.values())
      for (let i = 0; i < group.length; i++)
        for (let j = i + 1; j < group.length; j++) {
          const p = pick(group[i]!);
          const q = pick(group[j]!);
          for (let h = 0; h < Math.min(p.length, q.length); h++) out.push(cosine(p[h]!, q[h]!));
        }
    return out;
  };
  return {
    aAcrossLayers: stat(across((l) => l.a)),
    bAcrossLayers: stat(across((l) => l.b)),
    aWithinLayer: stat(within((l) => l.a)),
    bWithinLayer: stat(within((l) => l.b)),
  };
}

/**
 * 2-D t-SNE (tsne-js, exact) of `points`, deterministic for a seed: Math.random is replaced by a
 * seeded generator for the run and restored afterwards. Perplexity is capped at (n − 1)/3.
 * Returns coordinates scaled to [−1, 1].
 */
export function tsneEmbed(
  points: readonly Float32Array[],
  options: { seed?: number; perplexity?: number; iterations?: number; learningRate?: number } = {},
): [number, number][] {
  if (points.length < 4) throw new Error(`t-SNE needs at least 4 points, got ${points.length}`);
  const perplexity = Math.min(options.perplexity ?? 10, Math.max(1, (points.length - 1) / 3));
  // tsne-js diverges during early exaggeration with sklearn-sized steps on a few dozen points:
  // the step grows with n instead (n/8, at least 1).
  const learningRate = options.learningRate ?? Math.max(1, points.length / 8);
  const model = new TSNE({ dim: 2, perplexity, nIter: options.iterations ?? 1000, learningRate });
  const saved = Math.random;
  Math.random = mulberry32(options.seed ?? 0);
  try {
    model.init({ data: points.map((p) => Array.from(p)), type: 'dense' });
    model.run();
  } finally {
    Math.random = saved;
  }
  return model.getOutputScaled().map((p) => [p[0]!, p[1]!]);
}

/** Examples with known components from a JSON array or JSONL file (`instruction`, `input`, `output`, `component`). */
export function readLabelledExamples(file: string): InstructionExample[] {
  const text = readFileSync(file, 'utf8');
  const rows: unknown[] = text.trimStart().startsWith('[')
    ? (JSON.parse(text) as unknown[])
    : text
        .split('\n')
        .filter((l) => l.trim())
        .map((l, i) => {
          try {
            return JSON.parse(l);
          } catch {
            throw new Error(`${file}:${i + 1}: not valid JSON`);
          }
        });
  return rows.map((r, i) => {
    const row = r as Record<string, unknown>;
    for (const field of ['instruction', 'output', 'component'])
      if (typeof row?.[field] !== 'string')
        throw new Error(
          `${file}: record ${i + 1}: field '${field}' = ${JSON.stringify(row?.[field])}: expected a string`,
        );
    return {
      instruction: row.instruction as string,
      input: typeof row.input === 'string' ? row.input : '',
      output: row.output as string,
      component: row.component as string,
    };
  });
}

export interface AnalyzeOptions {
  adapter: string;
  /** Base model directory; default the adapter config's base_model_name_or_path. */
  model?: string;
  out: string;
  /** Examples with known components for the router-usage heatmap. */
  data?: string;
  seed?: number;
  perplexity?: number;
  iterations?: number;
  onInfo?: (message: string) => void;
}

export interface AnalyzeResult {
  method: string;
  heads: number;
  modules: number;
  summary: CosineSummary;
  tsne: { label: string; module: string; x: number; y: number }[];
  routerUsage?: { rows: string[]; values: number[][]; entropy: number; accuracy: number };
  files: { json: string; html: string };
}

/** Read the adapter's factors from a loaded model (host copies; no tensors are left behind). */
export function readLayerMatrices(adapter: Awaited<ReturnType<typeof loadAdapter>>): LayerMatrices[] {
  return [...adapter.layers().values()].map((l) => {
    const read = (make: () => tf.Tensor) => {
      const t = make();
      const data = t.dataSync() as Float32Array;
      t.dispose();
      return Float32Array.from(data);
    };
    return {
      module: l.module,
      kind: l.module.replace(/\.\d+\./g, '.*.'),
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
      a: Array.from({ length: l.shape.numA }, (_, i) => read(() => tf.tidy(() => tf.transpose(l.headA(i))))),
      b: Array.from({ length: l.shape.numB }, (_, i) => read(() => l.headB(i))),
    };
  });
}

export async function runAnalyze(o: AnalyzeOptions): Promise<AnalyzeResult> {
  const info = o.onInfo ?? (() => {});
  const config = await readAdapterConfig(o.adapter);
  if (methodRegistry.get(config.method).virtualTokens) {
    throw new Error(
      `${path.join(o.adapter, 'adapter_config.json')}: method '${config.method}' adds virtual tokens; analyze reads LoRA A/B matrices and routers, which it has none of`,
    );
  }
  const modelDir = o.model ?? config.base_model_name_or_path;
  if (!modelDir)
    throw new Error(
      `${path.join(o.adapter, 'adapter_config.json')}: no base_model_name_or_path; pass --model`,
    );
  const pretrained = await loadPretrained(modelDir);
  let adapter: Awaited<ReturnType<typeof loadAdapter>> | undefined;
  try {
    adapter = await loadAdapter(pretrained.model, o.adapter);
    const layers = readLayerMatrices(adapter);
    const summary = cosineSummary(layers);
    // t-SNE over the square modules (in = out), whose Aᵢᵀ and Bᵢ live in the same r·d space;
    // each factor is scaled to unit norm so that distances compare directions (as the cosines).
    const square = layers.filter((l) => l.inFeatures === l.outFeatures);
    const d = square[0]?.inFeatures;
    const points = square
      .filter((l) => l.inFeatures === d)
      .flatMap((l) => [
        ...l.a.map((m, i) => ({ label: l.a.length === 1 ? 'A' : `A${i + 1}`, module: l.module, m })),
        ...l.b.map((m, i) => ({ label: `B${i + 1}`, module: l.module, m })),
      ]);
    let tsne: AnalyzeResult['tsne'] = [];
    if (points.length >= 4) {
      const unit = points.map(({ m }) => {
        let ss = 0;
        for (const v of m) ss += v * v;
        const n = Math.sqrt(ss) || 1;
        return Float32Array.from(m, (v) => v / n);
      });
      const xy = tsneEmbed(unit, {
        seed: o.seed ?? 0,
        ...(o.perplexity !== undefined ? { perplexity: o.perplexity } : {}),
        ...(o.iterations !== undefined ? { iterations: o.iterations } : {}),
      });
      tsne = points.map((p, i) => ({ label: p.label, module: p.module, x: xy[i]![0], y: xy[i]![1] }));
    } else info('t-SNE skipped: fewer than 4 square-module factors');

    let usage: AnalyzeResult['routerUsage'];
    if (o.data) {
      const examples = readLabelledExamples(o.data);
      const components = [...new Set(examples.map((e) => e.component))];
      adapter.setTelemetry(true);
      const ev = await evaluateExamples(pretrained, examples, {
        componentIds: Int32Array.from(examples, (e) => components.indexOf(e.component)),
      });
      const u = routerUsage(adapter, components);
      adapter.setTelemetry(false);
      if (u) usage = { ...u, accuracy: ev.report.overall.accuracy };
      else info(`router usage skipped: method '${config.method}' has no router`);
    }
    const heads = config.num_heads;
    const result: Omit<AnalyzeResult, 'files'> = {
      method: config.method,
      heads,
      modules: layers.length,
      summary,
      tsne,
      ...(usage ? { routerUsage: usage } : {}),
    };
    const json = path.join(o.out, 'analysis.json');
    writeFileAtomic(json, `${JSON.stringify({ adapter: o.adapter, model: modelDir, ...result }, null, 2)}\n`);
    const html = writeReport(path.join(o.out, 'analysis.html'), renderAnalysis(o.adapter, result));
    return { ...result, files: { json, html } };
  } finally {
    adapter?.dispose();
    pretrained.model.dispose();
  }
}

function renderAnalysis(adapterDir: string, r: Omit<AnalyzeResult, 'files'>): string {
  const f = (s: CosineStat) => (s.mean === null ? '–' : s.mean.toFixed(4));
  const s = r.summary;
  const labels = [...new Set(r.tsne.map((p) => p.label))];
  const sections = [
    {
      title: 'Cosine similarity of the factors',
      note: 'Mean pairwise cosine similarity of the flattened matrices. The paper’s observation: the A’s are alike across layers while the B heads are distinct.',
      html: markdownTableToHtml(
        ['pairs', 'mean cosine', 'count'],
        [
          ['A across layers (same module kind)', f(s.aAcrossLayers), s.aAcrossLayers.pairs],
          ['B heads within a layer', f(s.bWithinLayer), s.bWithinLayer.pairs],
          ['B across layers (same module kind, same head)', f(s.bAcrossLayers), s.bAcrossLayers.pairs],
          ['A heads within a layer', f(s.aWithinLayer), s.aWithinLayer.pairs],
        ],
      ),
    },
    {
      title: 't-SNE of the A and B matrices',
      note: 'Each point is one head of one square module (in = out), Aᵢᵀ or Bᵢ flattened and scaled to unit norm.',
      html: scatter(
        't-SNE of adapter factors',
        labels.map((name) => ({
          name,
          points: r.tsne.filter((p) => p.label === name).map((p) => [p.x, p.y] as [number, number]),
        })),
        { xLabel: 't-SNE 1', yLabel: 't-SNE 2' },
      ),
    },
    ...(r.routerUsage
      ? [
          {
            title: 'Router usage per known component',
            note: `Mean router weight per head, averaged over layers (mean routing entropy ${r.routerUsage.entropy.toFixed(3)} nats; exact match on these examples ${(100 * r.routerUsage.accuracy).toFixed(1)}%).`,
            html: heatmap(
              'Router usage',
              r.routerUsage.rows,
              Array.from({ length: r.routerUsage.values[0]?.length ?? 0 }, (_, i) => `B${i + 1}`),
              r.routerUsage.values,
              { xLabel: 'head', yLabel: 'component' },
            ),
          },
        ]
      : []),
  ];
  return renderReport(
    'hydralora analyze',
    `${adapterDir} · ${r.method}, N=${r.heads}, ${r.modules} modules`,
    sections,
  );
}
