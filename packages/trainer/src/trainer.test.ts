import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AdapterModel, loadAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { loadPretrained, SafetensorsFile } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import { parseTrainConfig } from './config.js';
import { finetune } from './finetune.js';
import { DivergenceError } from './loop.js';
import { Trainer } from './trainer.js';

let modelDir: string;
const rows = Array.from({ length: 16 }, (_, i) => ({
  instruction: i % 2 ? 'Say yes.' : 'Say no.',
  output: i % 2 ? 'yes' : 'no',
}));
const chat = Array.from({ length: 8 }, (_, i) => ({
  messages: [
    { role: 'user' as const, content: `ping ${i}` },
    { role: 'assistant' as const, content: 'pong' },
  ],
}));

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  modelDir = makeTinyModel({ seed: 5 });
});

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'trainer-'));
const adapter = {
  method: 'hydra',
  r: 2,
  num_heads: 2,
  lora_dropout: 0.1,
  target_modules: ['q_proj', 'v_proj'],
};

async function weights(trainer: Trainer): Promise<Float32Array[]> {
  return [...trainer.parameters().values()].map((v) => Float32Array.from(v.dataSync()));
}

interface RunRecord<E> {
  result: Awaited<ReturnType<Trainer['train']>>;
  weights: Float32Array[];
  /** What `inspect` read off the trainer after training. */
  extra: E | undefined;
}

/**
 * The resume scenario: `adapter` trained straight through, then in a fresh run directory stopped
 * after step `stopAfter` and continued by a second trainer with `resume: true`. Each trainer's
 * model is loaded fresh and freed (adapter, then model) once its weights and `inspect`'s reading
 * are taken.
 */
async function straightAndResumed<E = never>(
  adapterConfig: Record<string, unknown>,
  args: Record<string, unknown>,
  stopAfter: number,
  inspect?: (trainer: Trainer) => E,
): Promise<{ straight: RunRecord<E>; stopped: number; resumed: RunRecord<E> }> {
  const run = async (outDir: string, extra: { stopAfterStep?: number; resume?: boolean }) => {
    const base = await loadPretrained(modelDir);
    const trainer = new Trainer({
      model: base,
      adapter: adapterConfig,
      trainData: rows,
      args,
      outDir,
      ...extra,
    });
    const result = await trainer.train();
    const record = { result, weights: await weights(trainer), extra: inspect?.(trainer) };
    trainer.adapter.dispose();
    base.model.dispose();
    return record;
  };
  const straight = await run(tmp(), {});
  const out = tmp();
  const stopped = (await run(out, { stopAfterStep: stopAfter })).result.steps;
  const resumed = await run(out, { resume: true });
  return { straight, stopped, resumed };
}

describe('Trainer', () => {
  it('trains from code on instruction and chat rows, evaluates held-out loss, and saves in PEFT layout', async () => {
    const base = await loadPretrained(modelDir);
    const out = tmp();
    const trainer = new Trainer({
      model: base,
      adapter,
      trainData: [...rows, ...chat],
      evalData: chat.slice(0, 4),
      args: { steps: 12, lr: 2e-2, warmupSteps: 1, microBatchSize: 4, evalEvery: 6, checkpointEvery: 0 },
      outDir: out,
    });
    const before = trainer.evaluate();
    const result = await trainer.train();
    expect(result.history).toHaveLength(12);
    expect(result.history.at(-1)!.loss).toBeLessThan(result.history[0]!.loss);
    expect(result.evalHistory.map((e) => e.step)).toEqual([6, 12]);
    expect(result.evalHistory[1]!.evalLoss).toBeCloseTo(trainer.evaluate(), 6);
    expect(result.evalHistory[1]!.evalLoss).toBeLessThan(before);
    const dir = await trainer.save();
    expect(existsSync(path.join(dir, 'adapter_config.json'))).toBe(true);
    trainer.adapter.dispose();
    base.model.dispose();
  });

  it('resumes bit-identically: an interrupted run continued from its checkpoint ends with the same weights', async () => {
    const args = { steps: 6, lr: 1e-2, warmupSteps: 2, microBatchSize: 4, checkpointEvery: 2, seed: 4 };
    const { straight, stopped, resumed } = await straightAndResumed(adapter, args, 5);
    expect(stopped).toBe(5);
    expect(resumed.result.startStep).toBe(4);
    expect(resumed.result.history.map((h) => h.loss)).toEqual(straight.result.history.map((h) => h.loss));
    expect(resumed.weights).toEqual(straight.weights);
  });

  it.each([
    ['ia3', { method: 'ia3' }, 'adapter_model.safetensors'],
    ['full', { method: 'full' }, 'model.safetensors'],
  ] as const)(
    'trains %s through the same loop, and its saved files reload to the same loss',
    async (_, section, file) => {
      const config = parseTrainConfig({ model: modelDir, data: 'unused.jsonl', adapter: section });
      const base = await loadPretrained(modelDir);
      const out = tmp();
      const trainer = new Trainer({
        model: base,
        adapter: { ...config.adapter, num_heads: 1 },
        trainData: rows,
        evalData: rows.slice(0, 4),
        args: {
          steps: 8,
          lr: section.method === 'full' ? 5e-3 : 5e-2,
          warmupSteps: 1,
          microBatchSize: 4,
          checkpointEvery: 0,
        },
        outDir: out,
      });
      const before = trainer.evaluate();
      await trainer.train();
      const after = trainer.evaluate();
      expect(after).toBeLessThan(before - 0.05);
      const dir = await trainer.save();
      expect(existsSync(path.join(dir, file))).toBe(true);
      trainer.adapter.dispose();
      base.model.dispose();
      const fresh = await loadPretrained(modelDir);
      await loadAdapter(fresh.model, dir);
      const reloaded = new Trainer({
        model: fresh,
        adapter: AdapterModel.of(fresh.model),
        trainData: rows,
        evalData: rows.slice(0, 4),
        args: { microBatchSize: 4 },
        outDir: tmp(),
      });
      expect(Math.abs(reloaded.evaluate() - after)).toBeLessThan(1e-5);
      fresh.model.dispose();
    },
  );

  it('trains AdaLoRA: the loop calls its step hook, ranks fall to target_r per module, files reload', async () => {
    const base = await loadPretrained(modelDir);
    const trainer = new Trainer({
      model: base,
      // total_step comes from the trainer's steps
      adapter: {
        method: 'adalora',
        init_r: 4,
        target_r: 2,
        tinit: 1,
        tfinal: 3,
        lora_alpha: 8,
        target_modules: ['q_proj', 'v_proj'],
      },
      trainData: rows,
      evalData: rows.slice(0, 4),
      args: { steps: 12, lr: 5e-2, warmupSteps: 1, microBatchSize: 4, checkpointEvery: 0 },
      outDir: tmp(),
    });
    const before = trainer.evaluate();
    const { history } = await trainer.train();
    const after = trainer.evaluate();
    expect(after).toBeLessThan(before - 0.05);
    // the orthogonality term is part of the loss (logged as the auxiliary loss)
    expect(history[0]!.auxLoss).toBeGreaterThan(0);
    const layers = [...trainer.adapter.moduleLayers().values()] as unknown as { lora_E: tf.Variable }[];
    const kept = layers.map((l) => Array.from(l.lora_E.dataSync()).filter((v) => v !== 0).length);
    // the budget at the end is target_r · modules (the masked Λ stay zero through the final phase)
    expect(kept.reduce((a, b) => a + b, 0)).toBe(2 * layers.length);
    const dir = await trainer.save();
    trainer.adapter.dispose();
    base.model.dispose();
    const fresh = await loadPretrained(modelDir);
    await loadAdapter(fresh.model, dir);
    const reloaded = new Trainer({
      model: fresh,
      adapter: AdapterModel.of(fresh.model),
      trainData: rows,
      evalData: rows.slice(0, 4),
      args: { microBatchSize: 4 },
      outDir: tmp(),
    });
    expect(Math.abs(reloaded.evaluate() - after)).toBeLessThan(1e-5);
    fresh.model.dispose();
  });

  it.each([
    // checkpoints in the cubic phase (the importance moments decide the next masks)
    [3, 2],
    [7, 6],
    // checkpoint at step 10: the final phase (the final mask is re-applied after every step)
    [11, 10],
  ])(
    'resumes AdaLoRA exactly: stopped after step %i, resumed from step %i, the losses, weights and rank masks equal those of an uninterrupted run',
    async (stopAfter, resumedAt) => {
      const adalora = {
        method: 'adalora',
        init_r: 6,
        target_r: 2,
        tinit: 1,
        tfinal: 3,
        lora_alpha: 12,
        lora_dropout: 0.1,
        target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'],
      };
      const args = { steps: 12, lr: 5e-2, warmupSteps: 1, microBatchSize: 4, checkpointEvery: 2, seed: 3 };
      const masks = (t: Trainer) =>
        [...t.adapter.moduleLayers().values()].map(
          (l) => (l as unknown as { rankMask: boolean[] | null }).rankMask,
        );
      const start = tf.memory().numTensors;
      const { straight, stopped, resumed } = await straightAndResumed(adalora, args, stopAfter, masks);
      // the run did mask: 2 of 6 triplets kept per module on average
      const expectedMasks = straight.extra!;
      expect(expectedMasks.flat().filter((k) => k === true)).toHaveLength(2 * expectedMasks.length);
      expect(stopped).toBe(stopAfter);
      expect(resumed.result.startStep).toBe(resumedAt);
      expect(resumed.result.history.map((h) => h.loss)).toEqual(straight.result.history.map((h) => h.loss));
      expect(resumed.weights).toEqual(straight.weights);
      expect(resumed.extra).toEqual(expectedMasks);
      // nothing left behind: the models, the adapters and the allocators' moments are freed
      expect(tf.memory().numTensors).toBe(start);
    },
  );

  it("writes AdaLoRA's allocator into its checkpoints, and refuses a checkpoint without it, naming the field", async () => {
    const adalora = {
      method: 'adalora',
      init_r: 3,
      target_r: 1,
      tinit: 0,
      tfinal: 1,
      target_modules: ['q_proj'],
    };
    const args = { steps: 4, lr: 1e-2, warmupSteps: 1, microBatchSize: 4, checkpointEvery: 2, seed: 1 };
    const out = tmp();
    const start = tf.memory().numTensors;
    const base = await loadPretrained(modelDir);
    const first = new Trainer({
      model: base,
      adapter: adalora,
      trainData: rows,
      args,
      outDir: out,
      stopAfterStep: 3,
    });
    await first.train();
    const modules = [...first.adapter.moduleLayers().keys()];
    first.adapter.dispose();
    const ckpt = path.join(out, 'checkpoints', 'step-000002');
    const stateFile = path.join(ckpt, 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(state.extra.totalStep).toBe(4);
    expect(Object.keys(state.extra.rankMasks)).toEqual(modules);
    // masked at step 1 (tinit 0, deltaT 1): 3 booleans per module
    for (const m of modules) expect(state.extra.rankMasks[m]).toHaveLength(3);
    const names = [...SafetensorsFile.open(path.join(ckpt, 'trainable.safetensors')).tensors.keys()];
    // Ī and Ū of P, Λ and Q per module
    expect(names.filter((n) => n.startsWith('extra/ipt/'))).toHaveLength(3 * modules.length);
    expect(names.filter((n) => n.startsWith('extra/unc/'))).toHaveLength(3 * modules.length);
    const { extra: _e, ...withoutExtra } = state;
    writeFileSync(stateFile, JSON.stringify(withoutExtra));
    const again = new Trainer({
      model: base,
      adapter: adalora,
      trainData: rows,
      args,
      outDir: out,
      resume: true,
    });
    await expect(again.train()).rejects.toThrow(
      `cannot resume from ${ckpt}: its state.json has no field 'extra', which method 'adalora' needs for an exact resume`,
    );
    again.adapter.dispose();
    base.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it("resumes full fine-tuning bit-identically (checkpoints keyed by the model's parameter names)", async () => {
    const full = { method: 'full', target_modules: 'all-linear' };
    const args = { steps: 4, lr: 5e-3, warmupSteps: 1, microBatchSize: 4, checkpointEvery: 2, seed: 2 };
    const { straight, stopped, resumed } = await straightAndResumed(full, args, 3);
    expect(stopped).toBe(3);
    expect(resumed.result.startStep).toBe(2);
    expect(resumed.result.history.map((h) => h.loss)).toEqual(straight.result.history.map((h) => h.loss));
    expect(resumed.weights).toEqual(straight.weights);
  });

  it('a run that diverges (lr 1000) stops with a clear error and writes no adapter', async () => {
    const root = tmp();
    const data = path.join(root, 'train.jsonl');
    writeFileSync(data, rows.map((r) => JSON.stringify(r)).join('\n'));
    const out = path.join(root, 'run');
    const config = parseTrainConfig({
      model: modelDir,
      data,
      out,
      adapter: { ...adapter, lora_dropout: 0 },
      lr: 1000,
      steps: 5,
      warmupSteps: 0,
      microBatchSize: 4,
    });
    const error = await finetune(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as Error).message).toMatch(
      /training diverged at step 1: .*lower the learning rate \(lr = 1000\)/,
    );
    expect(existsSync(path.join(out, 'adapter'))).toBe(false);
    expect(existsSync(path.join(out, 'run.json'))).toBe(false);
  });
});

describe.each<[string, Record<string, unknown>]>([
  ['prompt-tuning', {}],
  ['prefix-tuning', { prefix_projection: true }],
  ['p-tuning', { encoder_hidden_size: 8 }],
  ['p-tuning', { encoder_reparameterization_type: 'LSTM', encoder_hidden_size: 4, encoder_dropout: 0.1 }],
])('Trainer with the prompt-learning method %s', (method, extra) => {
  const promptAdapter = { method, num_virtual_tokens: 4, ...extra };
  const args = { steps: 6, lr: 5e-2, warmupSteps: 0, microBatchSize: 4, checkpointEvery: 2, seed: 2 };
  const ids = [[3, 4, 5, 6, 7]];

  it('trains (the loss falls), saves, and the loaded adapter gives the trained logits', async () => {
    const base = await loadPretrained(modelDir);
    const trainer = new Trainer({
      model: base,
      adapter: promptAdapter,
      trainData: rows,
      args,
      outDir: tmp(),
    });
    expect([...trainer.parameters().keys()][0]).toBe('prompt_encoder#0');
    const result = await trainer.train();
    expect(result.history.at(-1)!.loss).toBeLessThan(result.history[0]!.loss);
    const trained = tf.tidy(() => base.model.forward({ inputIds: ids }).dataSync());
    const dir = await trainer.save();
    trainer.adapter.dispose();
    base.model.dispose();
    const fresh = await loadPretrained(modelDir);
    await loadAdapter(fresh.model, dir);
    const loaded = tf.tidy(() => fresh.model.forward({ inputIds: ids }).dataSync());
    let diff = 0;
    trained.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - loaded[i]!));
    });
    expect(diff).toBeLessThan(1e-5);
    fresh.model.dispose();
  });

  it('resumes bit-identically from a checkpoint', async () => {
    const straightBase = await loadPretrained(modelDir);
    const straight = new Trainer({
      model: straightBase,
      adapter: promptAdapter,
      trainData: rows,
      args,
      outDir: tmp(),
    });
    const s = await straight.train();
    const expected = await weights(straight);
    straightBase.model.dispose();
    const out = tmp();
    const firstBase = await loadPretrained(modelDir);
    const first = new Trainer({
      model: firstBase,
      adapter: promptAdapter,
      trainData: rows,
      args,
      outDir: out,
      stopAfterStep: 3,
    });
    await first.train();
    firstBase.model.dispose();
    const againBase = await loadPretrained(modelDir);
    const again = new Trainer({
      model: againBase,
      adapter: promptAdapter,
      trainData: rows,
      args,
      outDir: out,
      resume: true,
    });
    const r = await again.train();
    expect(r.startStep).toBe(2);
    expect(r.history.map((h) => h.loss)).toEqual(s.history.map((h) => h.loss));
    expect(await weights(again)).toEqual(expected);
    againBase.model.dispose();
  });
});
