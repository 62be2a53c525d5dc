import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeSafetensors } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { composeLoraTensors, readLoraHubAdapters } from '@hydralora/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import {
  adaloraSchedule,
  DEFAULT_REPRO_METHODS,
  pairedChart,
  pairedSection,
  REPRO_METHODS,
  type ReproRow,
  runRepro,
  selectMethods,
  table1Sentence,
} from './repro.js';
import { pairedComparison } from './stats.js';

let modelDir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  modelDir = makeTinyModel();
});

const small = (out: string) => ({
  out,
  model: modelDir,
  perComponentTrain: 12,
  perComponentTest: 3,
  steps: 2,
  microBatchSize: 8,
  lr: 1e-2,
  kMax: 5,
});

// Paired fixtures: 60 examples always right, always wrong, and right on every other one.
const cmp = (a: boolean[], b: boolean[]) => pairedComparison(a, b, { seed: 0 });
const right = Array(60).fill(true);
const wrong = Array(60).fill(false);
const half = Array.from({ length: 60 }, (_, i) => i % 2 === 0);
const row = (id: string, label: string, extra: Partial<ReproRow>) => ({ id, label, ...extra }) as ReproRow;

describe('repro', () => {
  it('trains and scores every method, writes results.json, results.md, report.html and the docs copy', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'repro-'));
    const docs = path.join(out, 'docs', 'results', 'repro.md');
    const before = tf.memory().numTensors;
    const infos: string[] = [];
    const r = await runRepro({
      ...small(out),
      seeds: [0],
      methods: ['all'],
      commandLine: 'hydralora repro --seeds 1',
      docs,
      onInfo: (m) => infos.push(m),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rows.map((x) => x.id)).toEqual(REPRO_METHODS.map((m) => m.id));
    // Header, separator and one line per method.
    expect(r.table.split('\n')).toHaveLength(2 + REPRO_METHODS.length);
    const byId = new Map(r.rows.map((x) => [x.id, x]));
    expect(byId.get('split')!.heads).toBe(4);
    expect(byId.get('hydra')!.heads).toBe(r.elbowK);
    expect(byId.get('no-moe')!.heads).toBe(1);
    // LoRA parameter counts grow linearly with r; no MoE = LoRA r=8 plus a 1-way gate per layer.
    const l8 = byId.get('lora-r8')!.trainable;
    expect(byId.get('lora-r16')!.trainable).toBe(2 * l8);
    expect(byId.get('lora-r32')!.trainable).toBe(4 * l8);
    expect(byId.get('split')!.trainable).toBe(4 * l8);
    // Full fine-tuning trains the whole model (Table 2's 100%); (IA)³ one scalar per k/v output
    // and down_proj input: 2 layers × (2·kv + intermediate) of the tiny model.
    expect(byId.get('full')!.percent).toBe(100);
    expect(byId.get('ia3')!.trainable).toBe(2 * (2 * 16 + 64));
    expect(existsSync(path.join(out, 'runs', 'full-seed0', 'adapter', 'model.safetensors'))).toBe(true);
    for (const row of r.rows) {
      expect(Object.keys(row.perComponent)).toEqual(r.components);
      expect(row.overall.n).toBe(1);
      expect(row.overall.halfWidth).toBeNull();
      // Overall = mean of components when every component has the same number of test examples.
      const mean = r.components.reduce((s, c) => s + row.perComponent[c]!.mean, 0) / r.components.length;
      expect(row.overall.mean).toBeCloseTo(mean, 10);
    }
    const json = JSON.parse(readFileSync(r.files.results, 'utf8'));
    expect(json.rows).toHaveLength(REPRO_METHODS.length);
    expect(json.seeds).toEqual([0]);
    const md = readFileSync(r.files.markdown, 'utf8');
    expect(md).toContain('`hydralora repro --seeds 1`');
    expect(md).toContain(`× ${os.cpus().length} cores`);
    expect(md).toContain('tfjs backend wasm');
    expect(readFileSync(docs, 'utf8')).toBe(md);
    // the chart of the paired differences leads, before the wide table; no blank line inside it
    // (markdown would end the HTML block there)
    const svg = md.slice(md.indexOf('<svg'), md.indexOf('</svg>'));
    expect(md.indexOf('<svg')).toBeGreaterThan(0);
    expect(md.indexOf('<svg')).toBeLessThan(md.indexOf('| method |'));
    expect(svg).not.toMatch(/\n\s*\n/);
    // the sentence naming the real differences is written once, with the chart
    expect(md.split(r.pairedSummary).length - 1).toBe(1);
    const html = readFileSync(r.files.report, 'utf8');
    expect(html).toContain('Training loss (first seed)');
    // paired differences: every trained method but the reference itself, on the same examples
    // against LoRA at HydraLoRA's budget: its rank gives the parameters of HydraLoRA r=8 (rounded)
    const lora = byId.get('lora-r8')!;
    const matched = byId.get('lora-matched')!;
    const hydra = byId.get('hydra')!;
    const perRank = l8 / 8;
    expect(matched.r).toBe(Math.round(hydra.trainable / perRank));
    expect(matched.trainable).toBe(matched.r * perRank);
    expect(matched.label).toBe(`LoRA, HydraLoRA’s budget (r=${matched.r})`);
    expect(r.pairedTable).toContain(`vs ${matched.label}`);
    expect(matched.vsLora).toBeUndefined();
    expect(hydra.vsHydra).toBeUndefined();
    expect(byId.get('base')!.vsLora).toBeUndefined();
    // router diagnostics for the rows with a learned router, none for the others
    const routed = r.rows.filter((x) => x.router).map((x) => x.id);
    expect(routed).toEqual(
      expect.arrayContaining(['hydra', 'uniform-gate', 'no-shared-a', 'hydra-diverse', 'hydra-sample']),
    );
    expect(routed).not.toContain('lora-r8');
    expect(routed).not.toContain('split');
    expect(routed).not.toContain('no-moe');
    for (const id of routed) {
      const x = byId.get(id)!.router!;
      expect(x.lnHeads).toBeCloseTo(Math.log(r.elbowK), 12);
      expect(x.layers.length).toBeGreaterThan(0);
      expect(x.mutualInformation.mean).toBeGreaterThanOrEqual(0);
      expect(x.mutualInformation.mean).toBeLessThanOrEqual(x.lnHeads + 1e-9);
      const layerMean = x.layers.reduce((s, l) => s + l.mutualInformation, 0) / x.layers.length;
      expect(x.mutualInformation.mean).toBeCloseTo(layerMean, 12);
      for (const u of x.usage) expect(u.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 5);
    }
    // a uniform gate routes every component alike: no information about the component
    expect(byId.get('uniform-gate')!.router!.mutualInformation.mean).toBeCloseTo(0, 9);
    expect(md).toContain('I(head; component)');
    expect(html).toContain('Router: I(head; component) per layer');
    for (const row of r.rows.filter((x) => x.id !== 'base' && x.id !== 'lora-matched')) {
      expect(row.vsLora!.difference).toBeCloseTo(row.overall.mean - matched.overall.mean, 12);
      expect(row.vsLora!.n).toBe(r.components.length * 3);
    }
    expect(matched.vsHydra!.difference).toBeCloseTo(matched.overall.mean - hydra.overall.mean, 12);
    expect(r.pairedTable.split('\n')).toHaveLength(2 + REPRO_METHODS.length - 1);
    expect(md).toContain('Paired differences in held-out exact match');
    expect(md).toContain(r.pairedSummary);
    expect(r.pairedSummary).toMatch(/^(No difference is real|Real differences)/);
    // the ablations train what their rows say
    const savedConfig = (id: string) =>
      JSON.parse(
        readFileSync(path.join(out, 'runs', `${id}-seed0`, 'adapter', 'adapter_config.json'), 'utf8'),
      );
    // prompt tuning trains N × hidden (the tiny model: 32) and saves PEFT's PROMPT_TUNING files
    expect(byId.get('prompt-tuning')!.trainable).toBe(20 * 32);
    expect(savedConfig('prompt-tuning').peft_type).toBe('PROMPT_TUNING');
    expect(savedConfig('prefix-tuning').peft_type).toBe('PREFIX_TUNING');
    expect(savedConfig('p-tuning').peft_type).toBe('P_TUNING');
    expect(savedConfig('hydra-sample').router).toBe('sample');
    expect(savedConfig('hydra-load-balance').router_aux.load_balance).toBe(0.01);
    expect(savedConfig('hydra-diverse').peft_type).toBe('HYDRALORA_DIVERSE');
    expect(byId.get('hydra-diverse')!.trainable).toBe(byId.get('hydra')!.trainable);
    expect(existsSync(path.join(out, 'runs', 'hydra-seed0', 'adapter', 'adapter_model.safetensors'))).toBe(
      true,
    );
    // The tiny model: hidden 32, KV 16 (2 of 4 heads), intermediate 64, 2 layers; every linear
    // (q, k, v, o, gate, up, down) is adapted: 14 modules, Σ(in + out) = 2 · 512.
    const modules = 14;
    const inPlusOut = 2 * (32 + 32 + (32 + 16) * 2 + (32 + 32) + (32 + 64) * 3);
    expect(l8).toBe(8 * inPlusOut);
    // AdaLoRA: P, Λ, Q at init_r 12 per module, r·(in + out + 1); PEFT's ADALORA files; its
    // allocator ran inside the training (at 2 steps the final allocation is step 1): 8 of 12
    // triplets kept per module on average, the others' Λ exactly zero.
    const adalora = byId.get('adalora')!;
    expect(adalora.trainable).toBe(12 * (inPlusOut + modules));
    const ada = savedConfig('adalora');
    expect(ada).toMatchObject({ peft_type: 'ADALORA', init_r: 12, target_r: 8, total_step: 2 });
    expect({ tinit: ada.tinit, tfinal: ada.tfinal, deltaT: ada.deltaT }).toEqual(adaloraSchedule(2));
    const adaTensors = decodeSafetensors(
      readFileSync(path.join(out, 'runs', 'adalora-seed0', 'adapter', 'adapter_model.safetensors')),
    ).tensors;
    const lambdas = Object.entries(adaTensors).filter(([k]) => k.endsWith('.lora_E'));
    expect(lambdas).toHaveLength(modules);
    const kept = lambdas.reduce((n, [, t]) => n + t.data.filter((v) => v !== 0).length, 0);
    expect(kept).toBe(8 * modules);
    // LoraHub: the composed adapter is one LoRA r=8 (LoRA r=8's count); one search per component
    const hubRow = byId.get('lorahub')!;
    expect(hubRow.trainable).toBe(l8);
    expect(hubRow.percent).toBe(lora.percent);
    expect(hubRow.lorahub).toHaveLength(1);
    const hub = hubRow.lorahub![0]!;
    expect(hub.seed).toBe(0);
    expect(hub.adapters).toEqual(r.components);
    expect(hub.stepsPerLora).toBe(Math.ceil(2 / r.components.length));
    expect(Object.keys(hub.weights)).toEqual(r.components);
    // its pool is the Table 1 row's per-component LoRAs of the same seed, trained once for both
    const runDir = path.join(out, 'runs', 'lorahub-seed0');
    const pool = r.components.map((c) =>
      path.join(out, 'runs', 'per-component-seed0', 'loras', c, 'adapter'),
    );
    expect(existsSync(path.join(runDir, 'loras'))).toBe(false);
    for (const c of r.components)
      expect(infos.filter((m) => m.includes(`: LoRA r=8 on ${c} (`))).toEqual([
        `per-component seed 0: LoRA r=8 on ${c} (12 examples, ${hub.stepsPerLora} steps)`,
      ]);
    expect(hubRow.trainSeconds.mean).toBeGreaterThanOrEqual(byId.get('per-component')!.trainSeconds.mean);
    const sources = await readLoraHubAdapters(pool);
    for (const c of r.components) {
      const w = hub.weights[c]!;
      expect(w).toHaveLength(r.components.length);
      expect(w.every((x) => Number.isFinite(x) && Math.abs(x) <= 1.5)).toBe(true);
      // 12 training examples per component here (fewer than the row's 20)
      expect(hub.examples[c]).toBe(12);
      expect(hub.evaluations[c]).toBeGreaterThan(r.components.length);
      expect(hub.evaluations[c]).toBeLessThanOrEqual(40);
      // the search starts at w = 0 (the base model) and keeps the best objective
      expect(hub.loss[c]!).toBeLessThanOrEqual(hub.baseLoss[c]!);
      expect(hubRow.perComponent[c]!.mean).toBeGreaterThanOrEqual(0);
      expect(hubRow.perComponent[c]!.mean).toBeLessThanOrEqual(1);
      // the saved composition is a LoRA holding Σ wᵢ·LoRAᵢ with the recorded weights
      const dir = path.join(runDir, c, 'adapter');
      expect(JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8')).peft_type).toBe('LORA');
      const saved = decodeSafetensors(readFileSync(path.join(dir, 'adapter_model.safetensors'))).tensors;
      const expected = composeLoraTensors(
        sources.map((x) => x.tensors),
        w,
      );
      for (const [k, t] of Object.entries(expected))
        expect(Array.from(saved[k]!.data)).toEqual(Array.from(t.data));
      const record = JSON.parse(readFileSync(path.join(runDir, c, 'lorahub.json'), 'utf8'));
      expect(record.weights).toEqual(w);
      expect(record.accuracy).toBe(hubRow.perComponent[c]!.mean);
    }
    expect(json.rows.find((x: ReproRow) => x.id === 'lorahub').lorahub[0].weights).toEqual(hub.weights);
    expect(md).toContain("LoraHub's weights (seed 0)");
    // Table 1: K LoRAs r=8, one per component, against one LoRA of rank 8·K on the mix: the same size
    const k = r.components.length;
    const mix = byId.get('lora-mix')!;
    const own = byId.get('per-component')!;
    expect(mix.r).toBe(8 * k);
    expect(mix.label).toBe(`LoRA on the mix, r=${8 * k}`);
    expect(own.label).toBe(`LoRA per component (oracle), ${k}×r8`);
    expect(mix.trainable).toBe(k * l8);
    expect(own.trainable).toBe(k * l8);
    for (const c of r.components)
      expect(existsSync(path.join(out, 'runs', 'per-component-seed0', 'loras', c, 'adapter'))).toBe(true);
    expect(r.table1!.difference).toBeCloseTo(own.overall.mean - mix.overall.mean, 12);
    expect(r.table1!.n).toBe(k * 3);
    expect(json.table1.difference).toBe(r.table1!.difference);
    expect(md.split('Table 1 gap (').length - 1).toBe(1);
  });

  it('table1Sentence says which way the Table 1 gap falls, or that it is not real', () => {
    const rows = [
      row('per-component', 'LoRA per component (oracle), 6×r8', {}),
      row('lora-mix', 'LoRA on the mix, r=48', {}),
    ];
    const better = table1Sentence(rows, cmp(right, half));
    expect(better).toMatch(
      /^Table 1 gap \(LoRA per component \(oracle\), 6×r8 − LoRA on the mix, r=48, the same total rank\): \+50\.0 \[/,
    );
    expect(better).toContain('60 pairs');
    expect(better).toContain('the per-component LoRAs are better');
    expect(table1Sentence(rows, cmp(wrong, half))).toContain('the single LoRA on the mix is better');
    expect(table1Sentence(rows, cmp(half, half))).toContain('no real difference');
  });

  it('pairedSection names exactly the real differences', () => {
    const s = pairedSection(
      [
        row('base', 'Base model', {}),
        row('lora-r8', 'LoRA r=8', { vsHydra: cmp(half, half) }),
        row('hydra', 'HydraLoRA r=8', { vsLora: cmp(half, half) }),
        row('lora-r32', 'LoRA r=32', { vsLora: cmp(right, wrong), vsHydra: cmp(right, half) }),
      ],
      2,
    );
    expect(s.body.map((r) => r[0])).toEqual(['LoRA r=8', 'HydraLoRA r=8', 'LoRA r=32']);
    expect(s.summary).toContain('LoRA r=32 vs LoRA r=8 (+100.0');
    expect(s.summary).toContain('LoRA r=32 vs HydraLoRA (+50.0');
    expect(s.summary).not.toContain('HydraLoRA r=8 vs');
    expect(s.summary).toContain('60 pairs = 2 seeds');
    const none = pairedSection([row('hydra', 'HydraLoRA r=8', { vsLora: cmp(half, half) })], 1);
    expect(none.summary).toMatch(/^No difference is real/);
    expect(pairedSection([row('base', 'Base model', {})], 1).table).toBe('');
  });

  it('pairedChart draws every paired row in its panel, the real ones filled, on an axis through 0', () => {
    const svg = pairedChart(
      [
        row('base', 'Base model', {}),
        row('hydra', 'HydraLoRA r=8', { vsLora: cmp(half, half) }),
        row('lora-r32', 'LoRA r=32', { vsLora: cmp(right, wrong), vsHydra: cmp(wrong, half) }),
      ],
      2,
    );
    expect(svg).toContain('vs LoRA r=8');
    expect(svg).toContain('vs HydraLoRA');
    expect(svg).toContain('60 pairs over 2 seeds');
    // 3 paired comparisons → 3 interval lines and dots; the base model has none
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).not.toContain('Base model');
    // +100 against LoRA and −50 against HydraLoRA are real (filled); 0 against LoRA is not
    expect(svg).toContain('LoRA r=32 (vs LoRA r=8): +100.0 [+100.0, +100.0] (real)');
    expect(svg).toContain('LoRA r=32 (vs HydraLoRA): −50.0');
    expect(svg).toContain('HydraLoRA r=8 (vs LoRA r=8): +0.0 [+0.0, +0.0]</title>');
    expect(svg.match(/fill="#c0392b"/g)).toHaveLength(2);
    // the dashed zero line of each panel lies inside its axis
    const zeros = [...svg.matchAll(/class="zero" x1="([\d.]+)"/g)].map((m) => Number(m[1]));
    const axes = [...svg.matchAll(/<line x1="([\d.]+)" x2="([\d.]+)" y1="(\d+)" y2="\3" stroke="#333"\/>/g)];
    expect(zeros).toHaveLength(2);
    zeros.forEach((z, i) => {
      expect(z).toBeGreaterThan(Number(axes[i]![1]));
      expect(z).toBeLessThan(Number(axes[i]![2]));
    });
    expect(pairedChart([row('base', 'Base model', {})], 1)).toBe('');
  });

  it('computes intervals over seeds', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'repro-seeds-'));
    const r = await runRepro({ ...small(out), seeds: [0, 1], methods: ['lora-r8'] });
    const row = r.rows[0]!;
    expect(row.overall.n).toBe(2);
    const [a, b] = row.overall.values as [number, number];
    // t(0.975, 1) = 12.7062: half-width = 12.7062 · |a − b| / 2.
    expect(row.overall.halfWidth!).toBeCloseTo((12.7062 * Math.abs(a - b)) / 2, 3);
    expect(row.energyKWh).toBeGreaterThan(0);
  });

  it("AdaLoRA's schedule fits any step budget: tinit + tfinal < steps, a final phase when steps ≥ 2", () => {
    expect(adaloraSchedule(250)).toEqual({ tinit: 25, tfinal: 50, deltaT: 10 });
    expect(adaloraSchedule(2)).toEqual({ tinit: 0, tfinal: 1, deltaT: 1 });
    expect(adaloraSchedule(1)).toEqual({ tinit: 0, tfinal: 0, deltaT: 1 });
    for (let steps = 1; steps <= 300; steps++) {
      const s = adaloraSchedule(steps);
      expect(s.tinit + s.tfinal).toBeLessThan(steps);
      if (steps >= 2) expect(s.tfinal).toBeGreaterThanOrEqual(1);
    }
  });

  it('rejects unknown methods naming the flag and value', () => {
    expect(() => selectMethods(['lora-r8', 'nope'])).toThrow(/--methods: unknown method 'nope'/);
    expect(() => selectMethods(['hydra', 'hydra'])).toThrow("--methods: method 'hydra' is listed twice");
    expect(selectMethods(['no-moe', 'base']).map((m) => m.id)).toEqual(['no-moe', 'base']);
    // default: the rows that fit 5 seeds in 90 minutes; 'all': every row, in table order
    expect(selectMethods(undefined).map((m) => m.id)).toEqual([...DEFAULT_REPRO_METHODS]);
    expect(DEFAULT_REPRO_METHODS).toEqual(
      expect.arrayContaining(['lora-matched', 'lora-mix', 'per-component', 'hydra', 'hydra-sample']),
    );
    expect(selectMethods(['all']).map((m) => m.id)).toEqual(REPRO_METHODS.map((m) => m.id));
  });

  it('gives the same results with the trainings spread over worker processes (--jobs 2)', async () => {
    // per-component and lorahub share one pool per seed: the worker's per-component task composes it
    const methods = ['base', 'lora-r8', 'split', 'hydra', 'adalora', 'per-component', 'lorahub'];
    const one = await runRepro({
      ...small(mkdtempSync(path.join(os.tmpdir(), 'repro-j1-'))),
      seeds: [0, 1],
      methods,
    });
    const infos: string[] = [];
    const steps = new Set<string>();
    const two = await runRepro({
      ...small(mkdtempSync(path.join(os.tmpdir(), 'repro-j2-'))),
      seeds: [0, 1],
      methods,
      jobs: 2,
      onInfo: (m) => infos.push(m),
      onStep: (label) => steps.add(label),
    });
    // LoraHub's search losses are compared to 1e-6 relative: one process runs the BLAS on both
    // cores, each worker on one (the pool divides the cores), and OpenBLAS splits a large enough
    // product between threads, which changes the order of its sums in the last bits.
    const searchLosses = ['loss', 'baseLoss', 'averageLoss'] as const;
    const cells = (r: typeof one) =>
      r.rows.map((x) => ({
        id: x.id,
        heads: x.heads,
        trainable: x.trainable,
        perComponent: x.perComponent,
        overall: x.overall,
        losses: x.history.map((h) => h.loss),
        lorahub: x.lorahub?.map((h) => ({ ...h, ...Object.fromEntries(searchLosses.map((k) => [k, {}])) })),
      }));
    expect(cells(two)).toEqual(cells(one));
    const hubOf = (r: typeof one) => r.rows.find((x) => x.id === 'lorahub')!.lorahub!;
    hubOf(two).forEach((h, i) => {
      for (const k of searchLosses)
        for (const [c, v] of Object.entries(h[k])) {
          const ref = hubOf(one)[i]![k][c]!;
          expect(Math.abs(v - ref)).toBeLessThanOrEqual(1e-6 * Math.abs(ref));
        }
    });
    expect(infos).toContain('running 11 trainings on 2 worker processes');
    // LoraHub's weights came back from the workers as found in one process
    expect(two.rows.find((x) => x.id === 'lorahub')!.lorahub!.map((h) => h.seed)).toEqual([0, 1]);
    expect([...steps].sort()).toEqual(
      [
        'adalora seed 0',
        'adalora seed 1',
        'hydra seed 0',
        'hydra seed 1',
        'lora-r8 seed 0',
        'lora-r8 seed 1',
        ...one.components.flatMap((c) => [`per-component seed 0 ${c}`, `per-component seed 1 ${c}`]),
        'split seed 0',
        'split seed 1',
      ].sort(),
    );
    expect(two.markdown).toContain('2 training processes at a time');
  }, 240_000);

  it('reports a failing worker run naming the method and seed', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'repro-fail-'));
    await expect(
      runRepro({
        ...small(out),
        model: path.join(out, 'no-such-model'),
        seeds: [0],
        methods: ['lora-r8', 'base'],
        jobs: 2,
      }),
    ).rejects.toThrow(/^(lora-r8|base) seed 0: .*no-such-model/);
  }, 120_000);
});
