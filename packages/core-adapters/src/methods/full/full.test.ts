import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdapterModel, injectAdapters } from '../../adapter-model.js';
import { saveAdapter } from '../../io/peft-files.js';
import { decodeSafetensors } from '../../io/safetensors.js';
import { FakeMlpModel } from '../../testing/fake-model.js';
import { maxDiff } from '../../testing/helpers.js';

beforeAll(async () => {
  await initBackend();
});

describe('full fine-tuning', () => {
  let model: FakeMlpModel;
  let dir: string;
  beforeEach(async () => {
    model = new FakeMlpModel(6);
    dir = await mkdtemp(join(tmpdir(), 'hydralora-full-'));
  });
  afterEach(async () => {
    AdapterModel.of(model).dispose();
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('trains every weight in place: %Param = 100, named by the model, frozen again on dispose', () => {
    const handle = injectAdapters(model, { method: 'full', target_modules: 'all-linear' });
    const report = handle.parameterCount();
    expect(report.percent).toBe(100);
    expect(report.trainable).toBe(report.base);
    expect(report.warnings).toEqual([]);
    expect([...handle.namedVariables().keys()]).toEqual([...model.parameters().keys()]);
    for (const v of handle.trainableVariables()) expect(v.trainable).toBe(true);
    handle.deleteAdapter('default');
    for (const v of model.parameters().values()) expect(v.trainable).toBe(false);
  });

  it('saves model.safetensors in the checkpoint names and [out, in] layout', async () => {
    injectAdapters(model, { method: 'full', target_modules: 'all-linear', base_model_name_or_path: 'base' });
    await saveAdapter(model, dir);
    expect(JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'))).toEqual({
      base_model_name_or_path: 'base',
      hydralora_method: 'full',
      peft_type: 'FULL',
      target_modules: 'all-linear',
      task_type: 'CAUSAL_LM',
    });
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'model.safetensors')));
    const up = model.linears[1]!;
    const file = tensors['model.layers.0.mlp.up_proj.weight']!;
    expect(file.shape).toEqual([10, 6]);
    const transposed = tf.tidy(() => tf.transpose(up.weight).dataSync());
    expect(maxDiff(file.data, transposed)).toBe(0);
    expect(tensors['model.layers.0.mlp.up_proj.bias']!.shape).toEqual([10]);
    expect(Object.keys(tensors).sort()).toEqual([...model.parameters().keys()].sort());
  });

  it('cannot share the model with another adapter, in either order', () => {
    const handle = injectAdapters(model, { method: 'lora', target_modules: ['q_proj'] });
    expect(() => handle.add('all', { method: 'full', target_modules: 'all-linear' })).toThrow(
      "adapter config: method 'full' trains the model's own weights; remove the adapters on it first (default)",
    );
    handle.deleteAdapter('default');
    handle.add('all', { method: 'full', target_modules: 'all-linear' });
    expect(() => handle.add('lora', { method: 'lora', target_modules: ['q_proj'] })).toThrow(
      "adapter config: adapter 'all' fine-tunes the whole model; it cannot share the model with adapter 'lora'",
    );
  });
});
