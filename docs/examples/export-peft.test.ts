/**
 * Runs export-peft.ts: a HydraLoRA adapter with the uniform router (ω = 1/N for every token, so
 * the export is exact) is exported from its saved files, and PEFT's update s·B·A·x computed from
 * the exported tensors is compared with the adapter's own forward pass.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, injectAdapters, saveAdapter } from '@hydralora/core-adapters';
import { initBackend, linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportForPeft, peftUpdate } from './export-peft.js';
import { OneLinearModel } from './plugins/moe-diverse-method.js';

const dir = mkdtempSync(join(tmpdir(), 'docs-export-peft-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('export-peft.ts', () => {
  it('exports HydraLoRA as one PEFT LoRA whose update equals the adapter for its ω (≤ 1e-5)', async () => {
    const before = tf.memory().numTensors;
    const model = new OneLinearModel(6, 4, 1);
    const handle = injectAdapters(model, {
      method: 'hydra',
      r: 2,
      lora_alpha: 4,
      num_heads: 3,
      router: 'uniform',
      target_modules: ['proj'],
    });
    const layer = handle.layers().get('proj')!;
    tf.tidy(() => layer.bCat.assign(tf.randomNormal(layer.bCat.shape, 0, 0.5, 'float32', 3)));
    const adapterDir = join(dir, 'adapter');
    await saveAdapter(handle, adapterDir);

    const xs = [0.3, -1.2, 0.5, 2.0, -0.7, 0.1];
    const x = tf.tensor2d([xs]);
    const delta = tf.tidy(() => tf.sub(model.layer.apply(x), linear(x, model.layer.weight)));
    const expected = Array.from(delta.dataSync());
    tf.dispose([x, delta]);
    handle.dispose();
    model.layer.weight.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const uniform = await exportForPeft(adapterDir, join(dir, 'uniform'), 'uniform');
    expect(log).toHaveBeenCalledWith('r = 2, lora_alpha = 4, 1 modules');
    expect(warn).not.toHaveBeenCalled();
    const heads = await Promise.all(
      [0, 1, 2].map((i) => exportForPeft(adapterDir, join(dir, `head-${i}`), `head:${i}`)),
    );
    expect(warn).toHaveBeenCalledWith(
      "warning: the adapter's router is uniform (ω = 1/3 for every token) but the export uses ω = [1, 0, 0], so it differs from the adapter",
    );
    vi.restoreAllMocks();

    // The exported file is a plain LoRA: one lora_A [r, in] and one lora_B [out, r].
    const { tensors } = decodeSafetensors(readFileSync(join(dir, 'uniform', 'adapter_model.safetensors')));
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      'base_model.model.proj.lora_A.weight': [2, 6],
      'base_model.model.proj.lora_B.weight': [4, 2],
    });
    const config = JSON.parse(readFileSync(join(dir, 'uniform', 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4 });
    expect(config.num_heads).toBeUndefined();

    // PEFT's update from the exported tensors equals the adapter's own (uniform-router) output…
    const update = peftUpdate(uniform.modules[0]!, xs);
    update.forEach((v, o) => expect(Math.abs(v - expected[o]!)).toBeLessThanOrEqual(1e-5));
    expect(Math.max(...expected.map(Math.abs))).toBeGreaterThan(1e-2);
    // …and is linear in ω: the uniform export is the mean of the three one-head exports.
    const perHead = heads.map((h) => peftUpdate(h.modules[0]!, xs));
    update.forEach((v, o) => {
      const mean = (perHead[0]![o]! + perHead[1]![o]! + perHead[2]![o]!) / 3;
      expect(Math.abs(v - mean)).toBeLessThanOrEqual(1e-5);
    });
  });
});
