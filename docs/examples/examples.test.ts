/**
 * Tests for every code block of the documentation site. Pages contain no inline code fences:
 * each block is imported from a file in this folder (`<<< @/examples/…`), and each such file is
 * either a TypeScript example exercised below or a shell snippet whose `hydralora …` calls are
 * checked against the CLI's real command tree.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdapterModel,
  createMethodRegistry,
  injectAdapters,
  type Linear,
  type LinearAdapter,
} from '@hydralora/core-adapters';
import { BACKEND_NAMES, initBackend, linear } from '@hydralora/gpu-backend';
import { createRouterRegistry, Router, routeLayout } from '@hydralora/router';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { registerCommands } from 'hydralora';
import { beforeAll, describe, expect, it } from 'vitest';
import { addFullFineTuning, addIa3 } from './baseline-methods.js';
import { invocations, validate } from './cli-check.js';
import { inspectBackend } from './inspect-backend.js';
import {
  hydraForwardFused,
  hydraForwardSum,
  loraForward,
  routerWeights,
  trainableParameters,
} from './lora-math.js';
import { capitalsTask, lookupModel, readCapitals, registryWithCapitals } from './plugins/capitals-task.js';
import {
  loraMoeDiverseMethod,
  OneLinearModel,
  registerLoraMoeDiverse,
} from './plugins/moe-diverse-method.js';
import { createTemperatureRouter, registerTemperatureRouter } from './plugins/temperature-router.js';

const docsRoot = fileURLToPath(new URL('..', import.meta.url));

/** TypeScript examples that this file imports and exercises. */
const TESTED_TS = new Set([
  'lora-math.ts',
  'baseline-methods.ts',
  'inspect-backend.ts',
  'plugins/temperature-router.ts',
  'plugins/moe-diverse-method.ts',
  'plugins/capitals-task.ts',
  'export-peft.ts', // tested in export-peft.test.ts
  'python-interop.ts', // tested in python-interop.test.ts
  'plugins/nan-guard-backend.ts', // tested in backend-plugin.test.ts
]);

/**
 * Shell snippets that call commands the CLI does not define yet. Each entry must still fail
 * validation: once the command lands the test fails, telling you to drop it from this list.
 */
const PENDING_SNIPPETS: Record<string, string> = {};

function markdownPages(dir: string): string[] {
  const skip = new Set(['node_modules', 'api', '.vitepress', 'results', 'examples', 'public']);
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return skip.has(name) ? [] : markdownPages(path);
    return name.endsWith('.md') && name !== 'README.md' ? [path] : [];
  });
}

/** Every `<<< @/examples/…` import of every page, as paths relative to this folder. */
function snippetImports(): { page: string; file: string }[] {
  return markdownPages(docsRoot).flatMap((page) =>
    [...readFileSync(page, 'utf8').matchAll(/^<<<\s+@\/examples\/([^\s{#[]+)/gm)].map((m) => ({
      page: relative(docsRoot, page),
      file: m[1]!,
    })),
  );
}

function element(t: tf.Tensor, i: number, j: number): number {
  return (t.arraySync() as number[][])[i]![j]!;
}

/** Independent reference: plain-JS matrix product. */
function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

describe('pages', () => {
  it('contain no inline code fences (every block comes from a tested file)', () => {
    const fenced = markdownPages(docsRoot).filter((page) =>
      /^\s*(```|~~~)/m.test(readFileSync(page, 'utf8')),
    );
    expect(fenced.map((p) => relative(docsRoot, p))).toEqual([]);
  });

  it('import only snippets that this test covers', () => {
    const imports = snippetImports();
    expect(imports.length).toBeGreaterThan(5);
    const uncovered = imports.filter(({ file }) =>
      file.endsWith('.ts') ? !TESTED_TS.has(file) : !file.endsWith('.sh'),
    );
    expect(uncovered).toEqual([]);
  });

  it('import repository examples only when the example has its own test', () => {
    const repoRoot = join(docsRoot, '..');
    const examples = markdownPages(docsRoot).flatMap((page) =>
      [...readFileSync(page, 'utf8').matchAll(/^<<<\s+@\/\.\.\/examples\/([^/\s]+)\//gm)].map((m) => m[1]!),
    );
    expect(examples).toContain('finetune-from-code');
    for (const name of examples) {
      const tests = readdirSync(join(repoRoot, 'examples', name)).filter((f) => f.endsWith('.test.ts'));
      expect(tests, name).not.toEqual([]);
    }
  });
});

describe('shell snippets against the CLI command tree', () => {
  const program = new Command('hydralora');
  registerCommands(program);
  const files = [...new Set(snippetImports().map((s) => s.file))].filter((f) => f.endsWith('.sh'));

  it('the checker rejects unknown commands, options and extra arguments', () => {
    const demo = new Command('demo');
    demo.command('run <file>').option('--r <rank>', 'rank').option('--resume', 'resume');
    expect(validate(demo, ['run', 'a.json', '--r', '8', '--resume'])).toEqual([]);
    expect(validate(demo, ['walk'])).toEqual(["no command named 'walk'"]);
    expect(validate(demo, ['run', 'a', '--alpha', '16'])).toEqual(["'run' has no option --alpha"]);
    expect(validate(demo, ['run', 'a', 'b'])).toHaveLength(1);
    expect(validate(demo, ['run', 'a', '--r'])).toEqual(['--r needs a value']);
  });

  for (const file of files) {
    it(file, () => {
      const script = readFileSync(join(docsRoot, 'examples', file), 'utf8');
      const calls = invocations(script);
      expect(calls.length).toBeGreaterThan(0);
      const problems = calls.flatMap((c) => validate(program, c.argv).map((p) => `line ${c.line}: ${p}`));
      if (file in PENDING_SNIPPETS) {
        expect(problems.length, `${file} now validates: remove it from PENDING_SNIPPETS`).toBeGreaterThan(0);
      } else {
        expect(problems).toEqual([]);
      }
    });
  }
});

/** A LLaMA-named block of three linears (k_proj [8→4], v_proj [8→4], down_proj [16→8]) with the full-FT hooks. */
function blockModel() {
  const make = (name: string, inFeatures: number, outFeatures: number, seed: number) => {
    const init = tf.randomUniform([inFeatures, outFeatures], -0.5, 0.5, 'float32', seed);
    const weight = tf.variable(init, false);
    init.dispose();
    const layer: Linear & { adapter: LinearAdapter | null } = {
      name,
      inFeatures,
      outFeatures,
      weight,
      adapter: null,
      setAdapter(adapter) {
        this.adapter = adapter;
      },
    };
    return layer;
  };
  const layers = [
    make('model.layers.0.self_attn.k_proj', 8, 4, 1),
    make('model.layers.0.self_attn.v_proj', 8, 4, 2),
    make('model.layers.0.mlp.down_proj', 16, 8, 3),
  ];
  return {
    layers,
    namedLinears: () => new Map<string, Linear>(layers.map((l) => [l.name, l])),
    parameters: () => new Map(layers.map((l) => [`${l.name}.weight`, l.weight])),
    setTrainable(trainable: boolean) {
      for (const l of layers) l.weight.trainable = trainable;
    },
    dispose: () => tf.dispose(layers.map((l) => l.weight)),
  };
}

describe('TypeScript examples', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('baseline-methods: (IA)³ counts 4 + 4 + 16 scalars and writes IA3 files; full trains every weight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'docs-baselines-'));
    const model = blockModel();
    const ia3 = await addIa3(model, join(dir, 'ia3'));
    expect(ia3.trainable).toBe(24);
    expect(ia3.percent).toBeCloseTo((100 * 24) / (32 + 32 + 128), 10);
    const config = JSON.parse(readFileSync(join(dir, 'ia3', 'adapter_config.json'), 'utf8'));
    expect([config.peft_type, config.feedforward_modules]).toEqual(['IA3', ['down_proj']]);
    ia3.adapters.deleteAdapter('default');
    const full = await addFullFineTuning(model, join(dir, 'full'));
    expect(full.percent).toBe(100);
    expect(full.variables.every((v) => v.trainable)).toBe(true);
    expect(statSync(join(dir, 'full', 'model.safetensors')).size).toBeGreaterThan(4 * (32 + 32 + 128));
    AdapterModel.of(model).dispose();
    model.dispose();
  });

  it('lora-math: LoRA, Hydra (sum) and Hydra (fused) match a plain-JS reference', () => {
    const before = tf.memory().numTensors;
    const inDim = 5;
    const outDim = 3;
    const r = 2;
    const n = 3;
    const alpha = 4;
    const rand = (rows: number, cols: number, seed: number) =>
      Array.from({ length: rows }, (_, i) =>
        Array.from({ length: cols }, (_, j) => Math.sin(seed + 7 * i + j)),
      );
    const xs = rand(4, inDim, 1);
    const w0s = rand(inDim, outDim, 2);
    const as = rand(inDim, r, 3);
    const bs = [rand(r, outDim, 4), rand(r, outDim, 5), rand(r, outDim, 6)];
    const wgs = rand(inDim, n, 7);

    // Reference: y = x·W₀ + (α/r)·Σᵢ ωᵢ·(x·A)·Bᵢ with ω = softmax(x·W_g), in plain JS.
    const logits = matmul(xs, wgs);
    const omega = logits.map((row) => {
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((s, v) => s + v, 0);
      return e.map((v) => v / z);
    });
    const base = matmul(xs, w0s);
    const ax = matmul(xs, as);
    const heads = bs.map((b) => matmul(ax, b));
    const hydraRef = base.map((row, t) =>
      row.map((v, j) => v + (alpha / r) * heads.reduce((s, h, i) => s + omega[t]![i]! * h[t]![j]!, 0)),
    );
    const loraRef = base.map((row, t) => row.map((v, j) => v + (alpha / r) * heads[0]![t]![j]!));

    const x = tf.tensor2d(xs);
    const weights = { w0: tf.tensor2d(w0s), a: tf.tensor2d(as), alpha };
    const b = bs.map((m) => tf.tensor2d(m));
    const wg = tf.tensor2d(wgs);
    const lora = loraForward(x, weights, b[0]!);
    const sum = hydraForwardSum(x, weights, b, wg);
    const fused = hydraForwardFused(x, weights, b, wg);
    const w = routerWeights(x, wg);
    for (let t = 0; t < 4; t++) {
      expect(element(w, t, 0) + element(w, t, 1) + element(w, t, 2)).toBeCloseTo(1, 5);
      for (let j = 0; j < outDim; j++) {
        expect(element(lora, t, j)).toBeCloseTo(loraRef[t]![j]!, 4);
        expect(element(sum, t, j)).toBeCloseTo(hydraRef[t]![j]!, 4);
        expect(element(fused, t, j)).toBeCloseTo(hydraRef[t]![j]!, 4);
      }
    }
    // With one head the router is softmax over one logit (ω = 1): HydraLoRA is LoRA.
    const gap = tf.tidy(() => {
      const one = hydraForwardFused(x, weights, [b[0]!], tf.slice(wg, [0, 0], [-1, 1]) as tf.Tensor2D);
      return tf.max(tf.abs(tf.sub(one, lora)));
    });
    expect(gap.dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([x, weights.w0, weights.a, wg, lora, sum, fused, w, gap, ...b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lora-math: parameter counts equal the sizes of the tensors the forward pass uses', () => {
    const inDim = 5;
    const outDim = 3;
    const r = 2;
    const n = 3;
    // A [in, r], N heads [r, out], router [in, N]; Split: n pairs A [in, r], B [r, out].
    expect(trainableParameters('hydra', { inDim, outDim, r, n })).toBe(
      inDim * r + n * r * outDim + inDim * n,
    );
    expect(trainableParameters('lora', { inDim, outDim, r })).toBe(inDim * r + r * outDim);
    expect(trainableParameters('split', { inDim, outDim, r, n })).toBe(n * (inDim * r + r * outDim));
    // LLaMA-2-7B q_proj (4096 → 4096), r = 8: 65,536 LoRA parameters.
    expect(trainableParameters('lora', { inDim: 4096, outDim: 4096, r: 8 })).toBe(65_536);
  });

  it('inspect-backend: reports one of the known backends', async () => {
    const report = await inspectBackend();
    expect(BACKEND_NAMES as readonly string[]).toContain(report.backend);
    expect(report.tfjsBackend).toBe(tf.getBackend());
  });

  it('temperature-router: registered and used by a Router; closed forms for τ = 1, ∞, → 0', () => {
    const registry = createRouterRegistry();
    const strategy = registerTemperatureRouter({ temperature: 1 }, registry);
    expect(registry.get('temperature-softmax')).toBe(strategy);
    expect(() => registerTemperatureRouter({ temperature: 2 }, registry)).toThrow(/already registered/);
    expect(() => createTemperatureRouter({ temperature: 0 })).toThrow(/'temperature'.*got 0/);

    const before = tf.memory().numTensors;
    const logits = tf.tensor2d([
      [2, 0, -1],
      [0.5, 0.5, 3],
    ]);
    const args = { logits, numHeads: 3, rows: 2, topK: 1 };
    const [dense, flat, sharp] = tf.tidy(() => [
      strategy.weights(args),
      createTemperatureRouter({ temperature: 1e6 }).weights(args),
      createTemperatureRouter({ temperature: 0.01 }).weights(args),
    ]) as tf.Tensor2D[];
    const z = Math.exp(2) + 1 + Math.exp(-1);
    expect(element(dense!, 0, 0)).toBeCloseTo(Math.exp(2) / z, 5);
    for (let j = 0; j < 3; j++) expect(element(flat!, 1, j)).toBeCloseTo(1 / 3, 5);
    expect(element(sharp!, 1, 2)).toBeCloseTo(1, 5);
    tf.dispose([logits, dense!, flat!, sharp!]);
    expect(tf.memory().numTensors).toBe(before);

    // A Router built on the registry uses the plugin: ω = softmax(x·W_g), rows summing to 1.
    const router = new Router({
      strategy: 'temperature-softmax',
      numHeads: 3,
      inFeatures: 4,
      registry,
      seed: 1,
    });
    const x = tf.tensor2d([
      [1, 0, -1, 2],
      [0, 1, 1, 0],
    ]);
    const [omega, expected] = tf.tidy(() => [
      router.route(x, routeLayout([1, 2, 4])),
      tf.softmax(tf.matMul(x, router.gate!)),
    ]) as tf.Tensor2D[];
    for (let t = 0; t < 2; t++) {
      for (let j = 0; j < 3; j++) expect(element(omega!, t, j)).toBeCloseTo(element(expected!, t, j), 5);
    }
    tf.dispose([x, omega!, expected!, router.gate!]);
  });

  it('moe-diverse-method: registers, injects, counts N·r·(in+out) + N·in and starts away from the base', () => {
    const registry = createMethodRegistry();
    registerLoraMoeDiverse(registry);
    expect(registry.get('lora-moe-diverse')).toBe(loraMoeDiverseMethod);
    expect(() => registerLoraMoeDiverse(registry)).toThrow(/already registered/);

    const [inDim, outDim, r, n] = [6, 4, 2, 3];
    const config = { r, num_heads: n, target_modules: ['proj'] };
    const x = tf.randomNormal([5, inDim], 0, 1, 'float32', 3);
    const gapFrom = (method: string) => {
      const model = new OneLinearModel(inDim, outDim);
      const adapters = injectAdapters(model, { ...config, method }, 'default', { registry });
      const count = adapters.parameterCount().trainable;
      const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(model.layer.apply(x), linear(x, model.layer.weight)))));
      const value = gap.dataSync()[0]!;
      gap.dispose();
      return { count, value };
    };
    const diverse = gapFrom('lora-moe-diverse');
    const zeros = gapFrom('lora-moe');
    // N pairs A [in, r], B [r, out] and the gate W_g [in, N].
    expect(diverse.count).toBe(n * r * (inDim + outDim) + n * inDim);
    expect(zeros.count).toBe(diverse.count);
    // Zero-initialised heads start exactly at the base model; diverse heads do not.
    expect(zeros.value).toBe(0);
    expect(diverse.value).toBeGreaterThan(1e-4);
    x.dispose();
  });

  it('capitals-task: registers beside the built-ins, reads JSONL with line/field errors, scores exact match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capitals-'));
    const file = join(dir, 'capitals.jsonl');
    writeFileSync(
      file,
      [
        '{"country":"France","capital":"Paris"}',
        '{"country":"Japan","capital":"Tokyo"}',
        '{"country":"Peru","capital":"Lima"}',
      ].join('\n'),
    );
    const registry = registryWithCapitals();
    expect(registry.names()).toEqual(
      expect.arrayContaining(['mmlu', 'gsm8k', 'humaneval', 'bbh', 'capitals']),
    );
    expect(() => registry.register(capitalsTask)).toThrow(/already registered/);
    const model = lookupModel({ France: 'Paris', Japan: 'Kyoto' });
    const result = await registry.get('capitals').run({ data: file, model });
    expect(result.count).toBe(3);
    expect(result.metrics.accuracy).toBeCloseTo(1 / 3);
    expect((await registry.get('capitals').run({ data: file, model, limit: 1 })).metrics.accuracy).toBe(1);
    writeFileSync(file, '{"country":"France","capital":"Paris"}\n{"country":"Chile"}\n');
    expect(() => readCapitals(file)).toThrow(/capitals\.jsonl line 2: missing field 'capital'/);
  });
});
