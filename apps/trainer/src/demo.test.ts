import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import { componentLiveness, type MethodRow, pairedHydraVsLora, runDemo } from './demo.js';

let modelDir: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  modelDir = makeTinyModel();
});

/** The demo at test size on the tiny model (every test adds its own `out`). */
const tinyDemo = () => ({
  model: modelDir,
  seed: 0,
  perComponentTrain: 40,
  perComponentTest: 10,
  steps: 4,
  r: 4,
  microBatchSize: 8,
  lr: 1e-2,
  kMax: 6,
});

describe('demo', () => {
  it('clusters, trains HydraLoRA and an equal-size LoRA, evaluates every component and writes the report', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'demo-out-'));
    const r = await runDemo({ ...tinyDemo(), out });
    expect(r.components).toHaveLength(6);
    expect(r.clustering.sse).toHaveLength(6);
    expect(r.clustering.nmi).toBeGreaterThan(0.5);
    expect(r.rows.map((x) => x.method)).toEqual(['base', 'lora', 'hydra']);
    // Equal trainable parameters (within one LoRA rank's worth).
    const [_, lora, hydra] = r.rows;
    expect(Math.abs(lora!.trainable - hydra!.trainable)).toBeLessThan(hydra!.trainable / 4);
    for (const row of r.rows) expect(Object.keys(row.perComponent)).toEqual(r.components);
    expect(r.table.split('\n')).toHaveLength(5);
    const html = readFileSync(r.reportFile, 'utf8');
    for (const title of ['Choosing N', 'Training loss', 'Router usage', 'Accuracy by component'])
      expect(html).toContain(title);
    expect(existsSync(path.join(out, 'hydra', 'adapter', 'adapter_model.safetensors'))).toBe(true);
    const results = JSON.parse(readFileSync(r.resultsFile, 'utf8'));
    expect(results.predictions.hydra).toHaveLength(60);
    // the paired comparison counts the same examples as the table's accuracies
    expect(r.paired.overall.n).toBe(60);
    expect(r.paired.overall.difference).toBeCloseTo(hydra!.overall - lora!.overall, 12);
    for (const c of r.components)
      expect(r.paired.perComponent[c]!.difference).toBeCloseTo(
        hydra!.perComponent[c]! - lora!.perComponent[c]!,
        12,
      );
    expect(r.paired.summary).toMatch(/^HydraLoRA − LoRA overall: /);
    expect(r.liveness.dead).toEqual(
      r.components.filter((c) => Math.max(lora!.perComponent[c]!, hydra!.perComponent[c]!) < 0.1),
    );
    expect(readFileSync(path.join(out, 'results.md'), 'utf8')).toContain(r.liveness.summary);
    expect(results.liveness.summary).toBe(r.liveness.summary);
    expect(html).toContain('paired on the same examples');
    expect(html).toContain('Router diagnostics per layer');
    expect(results.router.layers.length).toBeGreaterThan(0);
    for (const l of results.router.layers) {
      expect(l.mutualInformation).toBeGreaterThanOrEqual(0);
      expect(l.mutualInformation).toBeLessThanOrEqual(Math.log(r.clustering.k) + 1e-9);
    }
  });

  it('with jobs 2 trains the LoRA in a worker process beside HydraLoRA, with the same results and no leaked tensors', async () => {
    const options = tinyDemo();
    const before = tf.memory().numTensors;
    const one = await runDemo({ ...options, out: mkdtempSync(path.join(os.tmpdir(), 'demo-j1-')) });
    const out = mkdtempSync(path.join(os.tmpdir(), 'demo-j2-'));
    const two = await runDemo({ ...options, out, jobs: 2 });
    expect(tf.memory().numTensors).toBe(before);
    // the worker wrote the LoRA where the demo says
    expect(existsSync(path.join(out, 'lora', 'adapter', 'adapter_model.safetensors'))).toBe(true);
    expect(two.rows.map((x) => [x.label, x.trainable])).toEqual(one.rows.map((x) => [x.label, x.trainable]));
    for (let i = 0; i < 3; i++) expect(two.rows[i]!.perComponent).toEqual(one.rows[i]!.perComponent);
    const predictions = (r: typeof one) => JSON.parse(readFileSync(r.resultsFile, 'utf8')).predictions;
    expect(predictions(two)).toEqual(predictions(one));
    expect(two.paired.overall.difference).toBe(one.paired.overall.difference);
  });

  it('componentLiveness: the best fine-tuned method per component, and the components none learnt', () => {
    const row = (method: string, label: string, perComponent: Record<string, number>) =>
      ({ method, label, perComponent }) as MethodRow;
    const rows = [
      row('base', 'Base model', { a: 0.9, b: 0.9 }),
      row('lora', 'LoRA r=8', { a: 0.3, b: 0.05 }),
      row('hydra', 'HydraLoRA', { a: 0.25, b: 0.08 }),
    ];
    const l = componentLiveness(rows, ['a', 'b']);
    // the base model's scores do not make a component live
    expect(l.best).toEqual({
      a: { method: 'LoRA r=8', accuracy: 0.3 },
      b: { method: 'HydraLoRA', accuracy: 0.08 },
    });
    expect(l.dead).toEqual(['b']);
    expect(l.summary).toBe('Dead components (every method under 10.0%): b (best: a 30.0%, b 8.0%).');
    const live = componentLiveness(rows, ['a', 'b'], 0.05);
    expect(live.dead).toEqual([]);
    expect(live.summary).toMatch(/^No dead component: some method reaches 5\.0% or more/);
  });

  it('pairedHydraVsLora: per component and overall, and a sentence naming the real differences', () => {
    const comps = ['a', 'b'];
    // a: HydraLoRA right on all 40, LoRA on none (real); b: identical (not real)
    const exampleComponents = [...Array(40).fill('a'), ...Array(40).fill('b')];
    const hydraHits = [...Array(40).fill(true), ...Array.from({ length: 40 }, (_, i) => i % 2 === 0)];
    const loraHits = [...Array(40).fill(false), ...Array.from({ length: 40 }, (_, i) => i % 2 === 0)];
    const p = pairedHydraVsLora(hydraHits, loraHits, exampleComponents, comps, 0);
    expect(p.perComponent.a!.difference).toBe(1);
    expect(p.perComponent.a!.real).toBe(true);
    expect(p.perComponent.b!.difference).toBe(0);
    expect(p.perComponent.b!.real).toBe(false);
    expect(p.overall.difference).toBe(0.5);
    expect(p.summary).toContain('a real difference');
    expect(p.summary).toContain('Real per-component differences: a +100.0');
    expect(p.summary).not.toMatch(/; b /);
  });
});
