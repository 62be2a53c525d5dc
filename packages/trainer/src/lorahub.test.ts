import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdapterModel, adapterTensors, loadAdapter, saveAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { generate, loadPretrained, type Pretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import type { InstructionRecord } from './data.js';
import { composeLoraTensors, loraHub, readLoraHubAdapters } from './lorahub.js';
import { textTokenizer } from './tokenizer.js';

let modelDir: string;
let pretrained: Pretrained;
let dirs: string[];
let examples: InstructionRecord[];

/** A LoRA r=4 on q,v with seeded random A and B (a "trained" adapter), saved to a new directory. */
async function randomLora(seed: number, scale: number, r = 4): Promise<string> {
  const handle = AdapterModel.of(pretrained.model);
  const name = `src${seed}`;
  handle.add(name, { method: 'lora', r, lora_alpha: 2 * r, target_modules: ['q_proj', 'v_proj'] });
  let i = 0;
  for (const v of handle.namedVariables(name).values())
    tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, scale, 'float32', seed * 100 + i++)));
  const dir = mkdtempSync(path.join(os.tmpdir(), `lorahub-src${seed}-`));
  await saveAdapter(handle, dir, { adapter: name });
  handle.deleteAdapter(name);
  return dir;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  modelDir = makeTinyModel({ seed: 5 });
  pretrained = await loadPretrained(modelDir);
  dirs = [await randomLora(1, 0.6), await randomLora(2, 0.6)];
  // the new task: what adapter 1 answers (greedy), so w = (1, 0) reproduces it exactly
  const handle = await loadAdapter(pretrained.model, dirs[0]!, { adapter: 'teacher' });
  const tok = textTokenizer(pretrained);
  const prompts = ['ab', 'cd', 'ef', 'gh', 'ij', 'kl'].map((p) => `say ${p}:`);
  const out = await generate(
    pretrained.model,
    prompts.map((p) => [...(tok.bosId !== undefined ? [tok.bosId] : []), ...tok.encode(p)]),
    { maxNewTokens: 6, greedy: true, eosTokenId: tok.eosId, padTokenId: tok.padId },
  );
  examples = prompts.map((prompt, i) => ({ prompt, target: tok.decode(out.tokens[i]!) }));
  handle.deleteAdapter('teacher');
});

describe('LoraHub', () => {
  it('composes element-wise: Σ wᵢ·tensorᵢ for every tensor', () => {
    const a = { x: { shape: [2], data: Float32Array.from([1, 2]) } };
    const b = { x: { shape: [2], data: Float32Array.from([10, -4]) } };
    expect(Array.from(composeLoraTensors([a, b], [0.5, -0.25]).x!.data)).toEqual([0.5 - 2.5, 1 + 1]);
    expect(() => composeLoraTensors([a, b], [1])).toThrow(/2 adapters but 1 weights/);
  });

  it('finds the adapter that explains the examples, beats the average and the base, and saves a LoRA', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const seen: number[] = [];
    const r = await loraHub(pretrained, {
      adapters: dirs,
      examples,
      maxEvaluations: 40,
      onEvaluation: (e) => seen.push(e.index),
    });
    expect(seen).toEqual(Array.from({ length: r.history.length }, (_, i) => i + 1));
    expect(r.history.length).toBeLessThanOrEqual(40);
    // the first evaluation is w = 0: the base model
    expect(r.history[0]!.weights).toEqual([0, 0]);
    const base = r.history[0]!.loss;
    expect(r.loss).toBeLessThan(base);
    expect(r.loss).toBeLessThan(r.averageLoss);
    expect(r.weights[0]!).toBeGreaterThan(r.weights[1]!);
    expect(r.weights.every((w) => Math.abs(w) <= 1.5)).toBe(true);
    expect(r.objective).toBeCloseTo(r.loss + 0.05 * (Math.abs(r.weights[0]!) + Math.abs(r.weights[1]!)), 10);
    // the result is an ordinary LoRA: saved, loaded again, the same composed tensors
    const out = mkdtempSync(path.join(os.tmpdir(), 'lorahub-out-'));
    await saveAdapter(r.adapter, out, { adapter: 'lorahub' });
    const config = JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(config.peft_type).toBe('LORA');
    const [s1, s2] = await readLoraHubAdapters(dirs);
    const expected = composeLoraTensors([s1!.tensors, s2!.tensors], r.weights);
    const [saved] = await readLoraHubAdapters([out, dirs[0]!]);
    for (const [k, t] of Object.entries(expected)) {
      const got = saved!.tensors[k]!.data;
      t.data.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    }
    r.adapter.deleteAdapter('lorahub');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('assigns each evaluation to the same adapter variables: no re-injection, no tensor growth', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const handle = AdapterModel.of(pretrained.model);
    const seen: { variables: tf.Variable[]; layers: unknown[]; numTensors: number; values: number[] }[] = [];
    const r = await loraHub(pretrained, {
      adapters: dirs,
      examples,
      maxEvaluations: 12,
      onEvaluation: () => {
        const variables = [...handle.namedVariables('lorahub').values()];
        seen.push({
          variables,
          layers: [...handle.moduleLayers('lorahub').values()],
          numTensors: tf.memory().numTensors,
          values: Array.from(variables[0]!.dataSync()),
        });
      },
    });
    expect(seen.length).toBe(r.history.length);
    expect(seen.length).toBeGreaterThan(5);
    const first = seen[0]!;
    for (const s of seen) {
      expect(s.variables).toHaveLength(first.variables.length);
      s.variables.forEach((v, i) => expect(v).toBe(first.variables[i]));
      s.layers.forEach((l, i) => expect(l).toBe(first.layers[i]));
      expect(s.numTensors).toBe(first.numTensors);
    }
    // the variables do change: each evaluation's weights are in them (w = 0 first: A = 0)
    expect(first.values.every((v) => v === 0)).toBe(true);
    expect(seen.some((s) => s.values.some((v) => v !== 0))).toBe(true);
    // the final install (the best weights) reuses them too, and holds the best composition
    const final = [...handle.namedVariables('lorahub').values()];
    final.forEach((v, i) => expect(v).toBe(first.variables[i]));
    const [s1, s2] = await readLoraHubAdapters(dirs);
    const best = composeLoraTensors([s1!.tensors, s2!.tensors], r.weights);
    const saved = adapterTensors(handle, 'lorahub');
    for (const [k, t] of Object.entries(best))
      t.data.forEach((v, i) => expect(saved[k]!.data[i]).toBeCloseTo(v, 6));
    r.adapter.deleteAdapter('lorahub');
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('rejects adapters that cannot be composed, naming the file and field', async () => {
    const r8 = await randomLora(3, 0.1, 8);
    await expect(readLoraHubAdapters([dirs[0]!, r8])).rejects.toThrow(
      new RegExp(`${r8}/adapter_config.json: field 'r' = 8, but .* has 4`),
    );
    await expect(readLoraHubAdapters([dirs[0]!])).rejects.toThrow(/at least 2 adapters, got 1/);
    const hydraDir = mkdtempSync(path.join(os.tmpdir(), 'lorahub-hydra-'));
    const handle = AdapterModel.of(pretrained.model);
    handle.add('h', {
      method: 'hydra',
      num_heads: 2,
      r: 4,
      lora_alpha: 8,
      target_modules: ['q_proj', 'v_proj'],
    });
    await saveAdapter(handle, hydraDir, { adapter: 'h' });
    handle.deleteAdapter('h');
    await expect(readLoraHubAdapters([dirs[0]!, hydraDir])).rejects.toThrow(
      /field 'method' = "hydra"; LoraHub composes LoRA adapters/,
    );
    await expect(loraHub(pretrained, { adapters: dirs, examples, maxEvaluations: 0 })).rejects.toThrow(
      /maxEvaluations = 0/,
    );
    await expect(
      loraHub(pretrained, { adapters: dirs, examples, algorithm: 'GN_DIRECT' as never }),
    ).rejects.toThrow(/algorithm = "GN_DIRECT"/);
    writeFileSync(path.join(r8, 'adapter_config.json'), '{ not json');
    await expect(readLoraHubAdapters([dirs[0]!, r8])).rejects.toThrow(/adapter_config.json/);
  });
});
