/**
 * The adapter methods that are not B·A updates — (IA)³, AdaLoRA and full fine-tuning — on real decoder
 * checkpoints, against the float64 PyTorch reference of scripts/make_method_fixtures.py (logits,
 * the causal-LM loss and its gradients), plus merge and generation with the KV cache.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdapterModel, injectAdapters, loadAdapter, saveAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from './checkpoint.js';
import { generate } from './generation/generate.js';
import { KVCache } from './kv-cache.js';
import type { LlamaForCausalLM } from './model.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const reference = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'methods.reference.json'), 'utf8')) as {
  ia3: { input_ids: number[][]; last_logits: number[]; loss: number; grads: Record<string, number[]> };
  full: { input_ids: number[][]; loss: number; grad_norm: number; grads: Record<string, number[]> };
  adalora: {
    input_ids: number[][];
    r: number;
    lora_alpha: number;
    last_logits: number[];
    loss: number;
    grads: Record<string, number[]>;
  };
};

/** Max |a − b| and that divided by max |b|. */
function errors(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; rel: number } {
  if (a.length !== b.length) throw new Error(`errors: sizes ${a.length} and ${b.length} differ`);
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
    scale = Math.max(scale, Math.abs(b[i] ?? 0));
  }
  return { abs, rel: abs / Math.max(scale, 1e-30) };
}

/** The closed-form (IA)³ vectors of the reference: 1 + 0.3·sin(0.37·(i+1) + 1.3·layer + c). */
function ia3Vector(size: number, layer: number, c: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => 1 + 0.3 * Math.sin(0.37 * (i + 1) + 1.3 * layer + c));
}

function logitsOf(model: LlamaForCausalLM, ids: number[][]): Float32Array {
  const t = model.forward({ inputIds: ids });
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Incremental decoding through the KV cache gives the logits of the full forward pass. */
function cacheMatchesFullPass(model: LlamaForCausalLM, ids: number[][]): number {
  const full = model.forward({ inputIds: ids });
  const cache = new KVCache(model.config.num_hidden_layers);
  const split = 5;
  const steps: tf.Tensor[] = [model.forward({ inputIds: ids.map((r) => r.slice(0, split)), kvCache: cache })];
  for (let t = split; t < (ids[0]?.length ?? 0); t++)
    steps.push(model.forward({ inputIds: ids.map((r) => [r[t]!]), kvCache: cache }));
  const incremental = tf.concat(steps, 1);
  const diff = errors(incremental.dataSync(), full.dataSync()).abs;
  tf.dispose([full, incremental, ...steps]);
  cache.dispose();
  return diff;
}

beforeAll(async () => {
  await initBackend();
});

const models: LlamaForCausalLM[] = [];
afterEach(() => {
  for (const m of models.splice(0)) {
    AdapterModel.of(m).dispose();
    m.dispose();
  }
});
function load(name: string): LlamaForCausalLM {
  const model = loadModel(path.join(FIXTURES, name));
  models.push(model);
  return model;
}

/** The closed-form AdaLoRA tensors of the reference, PyTorch layout, row-major. */
function svdValues(size: number, layer: number, c: number, amp: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => amp * Math.sin(0.37 * (i + 1) + 1.3 * layer + c));
}

describe('AdaLoRA on qwen2-bias against PyTorch', () => {
  it('logits, loss and the gradients of every P, Λ, Q match; merge gives the same logits', () => {
    const { input_ids: ids, r, lora_alpha } = reference.adalora;
    const model = load('qwen2-bias');
    const handle = injectAdapters(model, {
      method: 'adalora',
      init_r: r,
      target_r: 2,
      lora_alpha,
      target_modules: ['q_proj', 'v_proj'],
    });
    const vars = handle.namedVariables();
    for (const [name, variable] of vars) {
      // `model.layers.<i>.self_attn.<q|v>_proj#<0: A, 1: E, 2: B>`
      const [, layer, kind, index] = /^model\.layers\.(\d+)\.self_attn\.(\w+)#(\d)$/.exec(name)!;
      const c = kind === 'q_proj' ? 0 : 1;
      const [rows, cols] = variable.shape as [number, number];
      tf.tidy(() => {
        if (index === '1') variable.assign(tf.tensor(svdValues(r, Number(layer), c + 0.5, 0.8), [1, r]));
        else {
          // the file layout is the transpose of ours: A [r, in], B [out, r]
          const amp = 0.3;
          const values = svdValues(rows * cols, Number(layer), index === '0' ? c : c + 1, amp);
          variable.assign(tf.transpose(tf.tensor2d(values, [cols, rows])));
        }
      });
    }
    const last = tf.tidy(() => tf.reshape(model.forward({ inputIds: ids, lastTokenOnly: true }), [-1]));
    const logitErr = errors(last.dataSync(), reference.adalora.last_logits);
    last.dispose();
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), [...vars.values()]);
    const loss = value.dataSync()[0]!;
    let gradErr = { abs: 0, rel: 0 };
    for (const [name, variable] of vars) {
      const [module, index] = name.split('#') as [string, string];
      const key = `${module}.${['lora_A', 'lora_E', 'lora_B'][Number(index)]}`;
      const g = tf.tidy(() => tf.transpose(grads[variable.name]!));
      const e = errors(g.dataSync(), reference.adalora.grads[key]!);
      g.dispose();
      gradErr = { abs: Math.max(gradErr.abs, e.abs), rel: Math.max(gradErr.rel, e.rel) };
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `adalora vs PyTorch: last logits max abs ${logitErr.abs.toExponential(2)} (rel ${logitErr.rel.toExponential(2)}), ` +
        `loss Δ ${Math.abs(loss - reference.adalora.loss).toExponential(2)}, grads max abs ${gradErr.abs.toExponential(2)} (rel ${gradErr.rel.toExponential(2)})`,
    );
    expect(logitErr.abs).toBeLessThan(2e-5);
    expect(Math.abs(loss - reference.adalora.loss)).toBeLessThan(1e-5);
    expect(vars.size).toBe(3 * 2 * model.config.num_hidden_layers);
    expect(gradErr.rel).toBeLessThan(1e-4);
    const adapted = logitsOf(model, ids);
    handle.merge();
    const merged = logitsOf(model, ids);
    handle.unmerge();
    expect(errors(merged, adapted).abs).toBeLessThan(2e-5);
    expect(cacheMatchesFullPass(model, ids)).toBeLessThan(2e-5);
  });
});

describe('(IA)³ on qwen2-bias against PyTorch', () => {
  const { input_ids: ids } = reference.ia3;

  function withIa3(): { model: LlamaForCausalLM; handle: AdapterModel } {
    const model = load('qwen2-bias');
    const handle = injectAdapters(model, {
      method: 'ia3',
      target_modules: ['k_proj', 'v_proj', 'down_proj'],
      feedforward_modules: ['down_proj'],
    });
    const c: Record<string, number> = { k_proj: 0, v_proj: 1, down_proj: 2 };
    for (const [name, variable] of handle.namedVariables()) {
      // `model.layers.<i>.<self_attn|mlp>.<kind>#0`
      const [, layer, kind] = /^model\.layers\.(\d+)\.\w+\.(\w+)#0$/.exec(name)!;
      const v = ia3Vector(variable.size, Number(layer), c[kind!]!);
      tf.tidy(() => variable.assign(tf.tensor(v, variable.shape)));
    }
    return { model, handle };
  }

  it('logits, loss and gradients of every ia3_l match', () => {
    const { model, handle } = withIa3();
    const last = tf.tidy(() => {
      const logits = model.forward({ inputIds: ids, lastTokenOnly: true });
      return tf.reshape(logits, [-1]);
    });
    const logitErr = errors(last.dataSync(), reference.ia3.last_logits);
    last.dispose();
    const vars = handle.namedVariables();
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), [...vars.values()]);
    const loss = value.dataSync()[0]!;
    let gradErr = { abs: 0, rel: 0 };
    for (const [module, variable] of vars) {
      const name = module.split('#')[0]!;
      const e = errors(grads[variable.name]!.dataSync(), reference.ia3.grads[name]!);
      gradErr = { abs: Math.max(gradErr.abs, e.abs), rel: Math.max(gradErr.rel, e.rel) };
    }
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `ia3 vs PyTorch: last logits max abs ${logitErr.abs.toExponential(2)} (rel ${logitErr.rel.toExponential(2)}), ` +
        `loss Δ ${Math.abs(loss - reference.ia3.loss).toExponential(2)}, grads max abs ${gradErr.abs.toExponential(2)} (rel ${gradErr.rel.toExponential(2)})`,
    );
    expect(logitErr.abs).toBeLessThan(2e-5);
    expect(Math.abs(loss - reference.ia3.loss)).toBeLessThan(1e-5);
    expect(vars.size).toBe(6);
    expect(gradErr.rel).toBeLessThan(1e-4);
  });

  it('an IA3 adapter as PEFT writes it (ia3_l [out, 1] and [1, in]) loads to the same logits', async () => {
    const model = load('qwen2-bias');
    const warnings: string[] = [];
    const handle = await loadAdapter(model, path.join(FIXTURES, 'ia3-peft'), {
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([]);
    expect(handle.config().method).toBe('ia3');
    const last = tf.tidy(() => tf.reshape(model.forward({ inputIds: ids, lastTokenOnly: true }), [-1]));
    expect(errors(last.dataSync(), reference.ia3.last_logits).abs).toBeLessThan(2e-5);
    last.dispose();
  });

  it('merged into W (and the k/v biases) gives the same logits; unmerge restores the base', () => {
    const { model, handle } = withIa3();
    const base = [...model.parameters()].map(([n, v]) => [n, Float32Array.from(v.dataSync())] as const);
    const adapted = logitsOf(model, ids);
    handle.merge();
    expect(errors(logitsOf(model, ids), adapted).abs).toBeLessThan(2e-5);
    handle.unmerge();
    const params = model.parameters();
    for (const [n, v] of base) expect(errors(params.get(n)!.dataSync(), v).abs, n).toBeLessThan(1e-6);
  });

  it('generates with the KV cache as without it', async () => {
    const { model } = withIa3();
    expect(cacheMatchesFullPass(model, ids)).toBeLessThan(2e-5);
    const prompts = [ids[0]!.slice(0, 4), ids[1]!.slice(0, 6)];
    const cached = await generate(model, prompts, { maxNewTokens: 6, greedy: true });
    const uncached = await generate(model, prompts, { maxNewTokens: 6, greedy: true, useCache: false });
    expect(cached.tokens).toEqual(uncached.tokens);
    expect(cached.tokens[0]).toHaveLength(6);
  });
});

describe('full fine-tuning on llama-tied against PyTorch', () => {
  const { input_ids: ids } = reference.full;

  it('the loss and the gradients of the weights themselves match (the tied embedding gets both uses)', () => {
    const model = load('llama-tied');
    const plain = logitsOf(model, ids);
    const handle = injectAdapters(model, { method: 'full', target_modules: 'all-linear' });
    expect(handle.parameterCount().percent).toBe(100);
    expect(errors(logitsOf(model, ids), plain).abs).toBeLessThan(1e-5);
    const vars = handle.namedVariables();
    const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), [...vars.values()]);
    const loss = value.dataSync()[0]!;
    const grad = (name: string) => grads[vars.get(name)!.name]!;
    let sumSq = 0;
    for (const g of Object.values(grads)) sumSq += tf.tidy(() => tf.sum(tf.square(g)).dataSync()[0]!);
    /** The first `rows` rows in the checkpoint's layout ([out, in] for a linear weight). */
    const rowsOf = (name: string, rows: number, linear: boolean) =>
      tf.tidy(() => {
        const g = linear ? tf.transpose(grad(name)) : grad(name);
        return Float32Array.from((g.rank === 1 ? g : tf.slice(g, [0, 0], [rows, -1])).dataSync());
      });
    const picks: Record<string, Float32Array> = {
      'model.embed_tokens.weight': rowsOf('model.embed_tokens.weight', 4, false),
      'model.norm.weight': rowsOf('model.norm.weight', 1, false),
      'model.layers.0.input_layernorm.weight': rowsOf('model.layers.0.input_layernorm.weight', 1, false),
      'model.layers.1.self_attn.q_proj.weight': rowsOf('model.layers.1.self_attn.q_proj.weight', 2, true),
      'model.layers.0.mlp.down_proj.weight': rowsOf('model.layers.0.mlp.down_proj.weight', 2, true),
    };
    tf.dispose([value, ...Object.values(grads)]);
    let gradErr = { abs: 0, rel: 0 };
    for (const [name, got] of Object.entries(picks)) {
      const e = errors(got, reference.full.grads[name]!);
      gradErr = { abs: Math.max(gradErr.abs, e.abs), rel: Math.max(gradErr.rel, e.rel) };
    }
    const normErr = Math.abs(Math.sqrt(sumSq) - reference.full.grad_norm) / reference.full.grad_norm;
    console.log(
      `full vs PyTorch: loss Δ ${Math.abs(loss - reference.full.loss).toExponential(2)}, ` +
        `grads max abs ${gradErr.abs.toExponential(2)} (rel ${gradErr.rel.toExponential(2)}), grad-norm rel ${normErr.toExponential(2)}`,
    );
    expect(Math.abs(loss - reference.full.loss)).toBeLessThan(1e-5);
    expect(gradErr.rel).toBeLessThan(1e-4);
    expect(normErr).toBeLessThan(1e-5);
  });

  it('a trained model saves, reloads into a fresh base, and generates with the KV cache', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hydralora-full-'));
    try {
      const model = load('llama-tied');
      const handle = injectAdapters(model, { method: 'full', target_modules: 'all-linear' });
      const vars = [...handle.trainableVariables()];
      const optimizer = tf.train.sgd(0.05);
      for (let step = 0; step < 2; step++) {
        const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), vars);
        optimizer.applyGradients(grads);
        tf.dispose([value, ...Object.values(grads)]);
      }
      optimizer.dispose();
      const trained = logitsOf(model, ids);
      await saveAdapter(handle, dir);
      expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
      // frozen again, the tied head is rebuilt from the trained embedding
      handle.dispose();
      expect(model.trainable).toBe(false);
      expect(errors(logitsOf(model, ids), trained).abs).toBeLessThan(1e-5);

      const fresh = load('llama-tied');
      expect(errors(logitsOf(fresh, ids), trained).abs).toBeGreaterThan(1e-3);
      await loadAdapter(fresh, dir);
      expect(errors(logitsOf(fresh, ids), trained).abs).toBeLessThan(1e-5);
      expect(cacheMatchesFullPass(fresh, ids)).toBeLessThan(2e-5);
      const prompts = [ids[0]!.slice(0, 4)];
      const cached = await generate(fresh, prompts, { maxNewTokens: 5, greedy: true });
      const uncached = await generate(fresh, prompts, { maxNewTokens: 5, greedy: true, useCache: false });
      expect(cached.tokens).toEqual(uncached.tokens);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
