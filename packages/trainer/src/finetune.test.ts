import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { loadPretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import { parseTrainConfig } from './config.js';
import { finetune } from './finetune.js';

let modelDir: string;
let dataFile: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  const root = mkdtempSync(path.join(os.tmpdir(), 'finetune-'));
  modelDir = path.join(root, 'model');
  const colors = ['red', 'green', 'blue', 'black', 'white'];
  const records = [
    ...Array.from({ length: 24 }, (_, i) => ({
      instruction: 'Name the colour of the flag.',
      input: `flag ${i}`,
      output: colors[i % 5],
      component: 'colour',
    })),
    ...Array.from({ length: 24 }, (_, i) => ({
      instruction: 'Add the two numbers together.',
      input: `${i} plus ${i + 1}`,
      output: String(2 * i + 1),
      component: 'sum',
    })),
  ];
  makeTinyModel({ dir: modelDir, seed: 1 });
  dataFile = path.join(root, 'train.jsonl');
  writeFileSync(dataFile, records.map((r) => JSON.stringify(r)).join('\n'));
});

const cfg = (method: string, adapter: Record<string, unknown> = {}) =>
  parseTrainConfig({
    model: modelDir,
    data: dataFile,
    out: mkdtempSync(path.join(os.tmpdir(), 'ft-out-')),
    adapter: { method, r: 4, lora_alpha: 8, ...adapter },
    lr: 5e-2,
    steps: 40,
    microBatchSize: 8,
    warmupSteps: 2,
    checkpointEvery: 10,
    kMax: 4,
    seed: 3,
  });

describe('finetune', () => {
  it('HydraLoRA with N from the elbow: learns, saves a PEFT-layout adapter that reloads to the same outputs', async () => {
    const config = cfg('hydra', { num_heads: 'auto' });
    const r = await finetune(config);
    expect(r.heads).toBeGreaterThanOrEqual(2);
    expect(r.clustering?.sse).toHaveLength(4);
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss * 0.8);
    expect(readdirSync(r.adapterDir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const ids = [[1, 10, 20, 30, 40]];
    const before = tf.tidy(() => r.pretrained.model.forward({ inputIds: ids }).dataSync() as Float32Array);
    const fresh = await loadPretrained(modelDir);
    await loadAdapter(fresh.model, r.adapterDir);
    const after = tf.tidy(() => fresh.model.forward({ inputIds: ids }).dataSync() as Float32Array);
    let maxDiff = 0;
    for (let i = 0; i < before.length; i++) maxDiff = Math.max(maxDiff, Math.abs(before[i]! - after[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    r.pretrained.model.dispose();
    fresh.model.dispose();
  });

  it('LoRA and Split (routed by cluster) train on the same data', async () => {
    const lora = await finetune(cfg('lora', { num_heads: 1 }));
    expect(lora.history.at(-1)!.loss).toBeLessThan(lora.history[0]!.loss * 0.8);
    lora.pretrained.model.dispose();
    const split = await finetune(cfg('split', { num_heads: 'auto' }));
    expect(split.heads).toBe(split.clustering!.k);
    expect(split.history.at(-1)!.loss).toBeLessThan(split.history[0]!.loss);
    // The learned split router is on by default, so the saved adapter runs without component ids.
    const saved = JSON.parse(readFileSync(path.join(split.adapterDir, 'adapter_config.json'), 'utf8'));
    expect(saved.split_router).toBe(true);
    const fresh = await loadPretrained(modelDir);
    await loadAdapter(fresh.model, split.adapterDir);
    const logits = tf.tidy(() => fresh.model.forward({ inputIds: [[1, 10, 20, 30]] }).dataSync());
    expect(logits.every(Number.isFinite)).toBe(true);
    fresh.model.dispose();
    split.pretrained.model.dispose();
  });
});
