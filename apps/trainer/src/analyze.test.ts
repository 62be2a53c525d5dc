import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import { finetune, parseTrainConfig } from '@hydralora/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import {
  cosine,
  cosineSummary,
  type LayerMatrices,
  readLabelledExamples,
  runAnalyze,
  tsneEmbed,
} from './analyze.js';
import { buildInstructionCorpus, writeCorpus } from './embedded/index.js';

const f = (...v: number[]) => Float32Array.from(v);
const layer = (module: string, a: Float32Array[], b: Float32Array[]): LayerMatrices => ({
  module,
  kind: module.replace(/\.\d+\./g, '.*.'),
  inFeatures: 2,
  outFeatures: 2,
  a,
  b,
});

describe('cosine summary', () => {
  it('matches hand-computed similarities on known matrices', () => {
    expect(cosine(f(1, 0), f(1, 1))).toBeCloseTo(Math.SQRT1_2, 12);
    // Layer 0: A = (1,2,3); B heads orthogonal. Layer 1: A = 2·(1,2,3) (cosine 1); B heads opposite.
    // Another module kind: A's orthogonal across layers, one B head each.
    const layers = [
      layer('m.layers.0.q', [f(1, 2, 3)], [f(1, 0, 0), f(0, 1, 0)]),
      layer('m.layers.1.q', [f(2, 4, 6)], [f(0, 0, 1), f(0, 0, -1)]),
      layer('m.layers.0.v', [f(1, 0)], [f(3, 4)]),
      layer('m.layers.1.v', [f(0, 1)], [f(3, 4)]),
    ];
    const s = cosineSummary(layers);
    // A across layers: q pair 1, v pair 0 → mean 0.5 over 2 pairs.
    expect(s.aAcrossLayers).toEqual({ mean: 0.5, pairs: 2 });
    // B within layers: (0 + −1) / 2 over 2 pairs (the v layers have one head).
    expect(s.bWithinLayer).toEqual({ mean: -0.5, pairs: 2 });
    // B across layers, head-matched: q heads 0: 0, q heads 1: 0, v: 1 → 1/3.
    expect(s.bAcrossLayers.mean).toBeCloseTo(1 / 3, 12);
    expect(s.bAcrossLayers.pairs).toBe(3);
    expect(s.aWithinLayer).toEqual({ mean: null, pairs: 0 });
  });
});

describe('t-SNE', () => {
  it('is deterministic for a seed, restores Math.random and separates two far clusters', () => {
    const saved = Math.random;
    // Two groups of 8 points around (±1, ±1, ±1, 0, …) with a deterministic ±0.1 jitter.
    const pts = Array.from({ length: 16 }, (_, i) =>
      Float32Array.from(
        { length: 10 },
        (_, d) => (i < 8 ? 1 : -1) * (d < 3 ? 1 : 0) + 0.1 * Math.sin(7 * i + 3 * d),
      ),
    );
    const a = tsneEmbed(pts, { seed: 3 });
    const b = tsneEmbed(pts, { seed: 3 });
    expect(a).toEqual(b);
    expect(Math.random).toBe(saved);
    const cx = (xs: [number, number][]) => xs.reduce((s, p) => s + p[0], 0) / xs.length;
    const cy = (xs: [number, number][]) => xs.reduce((s, p) => s + p[1], 0) / xs.length;
    const [g1, g2] = [a.slice(0, 8), a.slice(8)];
    const between = Math.hypot(cx(g1) - cx(g2), cy(g1) - cy(g2));
    const spread = Math.max(...g1.map((p) => Math.hypot(p[0] - cx(g1), p[1] - cy(g1))));
    expect(between).toBeGreaterThan(spread);
    expect(() => tsneEmbed(pts.slice(0, 3))).toThrow(/at least 4 points, got 3/);
  });
});

describe('analyze', () => {
  let modelDir: string;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    modelDir = makeTinyModel();
  });

  it('reads a trained HydraLoRA adapter: cosines, t-SNE of every square factor, router usage per component', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'analyze-'));
    const corpus = buildInstructionCorpus({ seed: 0, perComponentTrain: 8, perComponentTest: 3 });
    writeCorpus(path.join(dir, 'data'), corpus);
    const ft = await finetune(
      parseTrainConfig({
        model: modelDir,
        data: path.join(dir, 'data', 'train.jsonl'),
        out: path.join(dir, 'run'),
        adapter: { method: 'hydra', num_heads: 3, r: 2, target_modules: 'all-linear' },
        steps: 2,
        lr: 1e-2,
        checkpointEvery: 0,
      }),
    );
    ft.adapter.dispose();
    ft.pretrained.model.dispose();
    const before = tf.memory().numTensors;
    const r = await runAnalyze({
      adapter: ft.adapterDir,
      out: path.join(dir, 'analysis'),
      data: path.join(dir, 'data', 'test.jsonl'),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.method).toBe('hydra');
    expect(r.heads).toBe(3);
    // 2 layers × 7 linears; square ones (hidden 32 → 32): q_proj and o_proj (k, v are 32 → 16).
    expect(r.modules).toBe(14);
    expect(r.tsne).toHaveLength(2 * 2 * (1 + 3));
    expect(new Set(r.tsne.map((p) => p.label))).toEqual(new Set(['A', 'B1', 'B2', 'B3']));
    expect(r.summary.bWithinLayer.pairs).toBe(14 * 3);
    expect(r.summary.aAcrossLayers.pairs).toBe(7);
    const usage = r.routerUsage!;
    expect(usage.rows).toEqual([...new Set(corpus.test.map((e) => e.component))]);
    for (const row of usage.values) {
      expect(row).toHaveLength(3);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    }
    const json = JSON.parse(readFileSync(r.files.json, 'utf8'));
    expect(json.summary.aAcrossLayers.pairs).toBe(7);
    const html = readFileSync(r.files.html, 'utf8');
    for (const t of ['Cosine similarity', 't-SNE', 'Router usage']) expect(html).toContain(t);
  });

  it('names the file, record and field of bad labelled examples', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'analyze-data-')), 'x.jsonl');
    writeFileSync(
      file,
      '{"instruction":"a","output":"b","component":"c"}\n{"instruction":"a","output":"b"}\n',
    );
    expect(() => readLabelledExamples(file)).toThrow(
      `${file}: record 2: field 'component' = undefined: expected a string`,
    );
  });
});
