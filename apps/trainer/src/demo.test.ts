import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import { pairedHydraVsLora, runDemo } from './demo.js';

let modelDir: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  modelDir = makeTinyModel();
});

describe('demo', () => {
  it('clusters, trains HydraLoRA and an equal-size LoRA, evaluates every component and writes the report', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'demo-out-'));
    const r = await runDemo({
      out,
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
    expect(r.components).toHaveLength(5);
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
    expect(results.predictions.hydra).toHaveLength(50);
    // the paired comparison counts the same examples as the table's accuracies
    expect(r.paired.overall.n).toBe(50);
    expect(r.paired.overall.difference).toBeCloseTo(hydra!.overall - lora!.overall, 12);
    for (const c of r.components)
      expect(r.paired.perComponent[c]!.difference).toBeCloseTo(
        hydra!.perComponent[c]! - lora!.perComponent[c]!,
        12,
      );
    expect(r.paired.summary).toMatch(/^HydraLoRA − LoRA overall: /);
    expect(html).toContain('paired on the same examples');
    expect(html).toContain('Router diagnostics per layer');
    expect(results.router.layers.length).toBeGreaterThan(0);
    for (const l of results.router.layers) {
      expect(l.mutualInformation).toBeGreaterThanOrEqual(0);
      expect(l.mutualInformation).toBeLessThanOrEqual(Math.log(r.clustering.k) + 1e-9);
    }
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
