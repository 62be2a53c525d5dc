import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdapterModel, injectAdapters } from '../adapter-model.js';
import { FakeMlpModel } from '../testing/fake-model.js';
import { perturbAdapter } from '../testing/helpers.js';
import { adapterTensors, assignAdapterTensors, loadAdapter, saveAdapter } from './peft-files.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

let dir: string;
let model: FakeMlpModel;
beforeAll(async () => {
  await initBackend();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hydralora-io-'));
  model = new FakeMlpModel();
});
afterEach(async () => {
  AdapterModel.of(model).dispose();
  model.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('safetensors codec', () => {
  it('writes the documented byte layout', () => {
    const bytes = Buffer.from(
      encodeSafetensors({ a: { shape: [2], data: Float32Array.from([1, -2]) } }, { format: 'pt' }),
    );
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    expect(JSON.parse(bytes.subarray(8, 8 + headerLength).toString())).toEqual({
      __metadata__: { format: 'pt' },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    });
    expect([bytes.readFloatLE(8 + headerLength), bytes.readFloatLE(12 + headerLength)]).toEqual([1, -2]);
    expect(bytes.length).toBe(8 + headerLength + 8);
  });

  it('reads F16 and BF16 as float32', () => {
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] },
    });
    const buf = Buffer.alloc(8 + header.length + 8);
    buf.writeBigUInt64LE(BigInt(header.length), 0);
    buf.write(header, 8);
    const base = 8 + header.length;
    [0x3c00, 0xc000, 0x3f80, 0x4049].forEach((v, i) => buf.writeUInt16LE(v, base + 2 * i));
    const { tensors } = decodeSafetensors(buf);
    expect(Array.from(tensors.h!.data)).toEqual([1, -2]);
    expect(Array.from(tensors.b!.data)).toEqual([1, 3.140625]);
  });

  it('rejects truncated data naming the tensor', () => {
    const bytes = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'x.safetensors')).toThrow(
      /x\.safetensors: tensor "w": data ends at byte 16 of the data section but the file holds only 12/,
    );
  });
});

describe('PEFT layout', () => {
  it('a LoRA is saved with PEFT names, [r, in]/[out, r] shapes and only LoraConfig keys', async () => {
    const handle = injectAdapters(model, { r: 2, lora_alpha: 4, target_modules: ['q_proj', 'up_proj'] });
    perturbAdapter(handle);
    await saveAdapter(handle, dir);
    expect((await readdir(dir)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const { tensors, metadata } = decodeSafetensors(await readFile(join(dir, 'adapter_model.safetensors')));
    expect(metadata).toEqual({ format: 'pt' });
    const p = 'base_model.model.model.layers.0';
    expect(Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.shape]))).toEqual({
      [`${p}.self_attn.q_proj.lora_A.weight`]: [2, 6],
      [`${p}.self_attn.q_proj.lora_B.weight`]: [6, 2],
      [`${p}.mlp.up_proj.lora_A.weight`]: [2, 6],
      [`${p}.mlp.up_proj.lora_B.weight`]: [10, 2],
    });
    // The file holds Aᵀ: entry [j, i] of lora_A.weight is A[i, j] of the [in, r] variable.
    const a = (await handle.layers().get(`model.layers.0.mlp.up_proj`)!.aCat.array()) as number[][];
    const fileA = tensors[`${p}.mlp.up_proj.lora_A.weight`]!.data;
    expect(fileA[1 * 6 + 4]).toBe(a[4]![1]);
    const config = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 4,
      lora_dropout: 0,
      target_modules: ['q_proj', 'up_proj'],
      bias: 'none',
      fan_in_fan_out: false,
      task_type: 'CAUSAL_LM',
      modules_to_save: null,
      use_rslora: false,
      init_lora_weights: true,
      rank_pattern: {},
      alpha_pattern: {},
    });
    expect(
      Object.keys(config).filter((k) => k.includes('hydra') || k.includes('router') || k === 'num_heads'),
    ).toEqual([]);
  });

  it('HydraLoRA names its heads lora_B.<i> and its gate lora_route, with documented extra keys', async () => {
    injectAdapters(model, { method: 'hydra', r: 2, num_heads: 3, target_modules: ['q_proj'] });
    await saveAdapter(model, dir);
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'adapter_model.safetensors')));
    const p = 'base_model.model.model.layers.0.self_attn.q_proj';
    expect(
      Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k.slice(p.length + 1), v.shape])),
    ).toEqual({
      'lora_A.weight': [2, 6],
      'lora_B.0.weight': [6, 2],
      'lora_B.1.weight': [6, 2],
      'lora_B.2.weight': [6, 2],
      'lora_route.weight': [3, 6],
    });
    const config = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'HYDRALORA',
      hydralora_method: 'hydra',
      num_heads: 3,
      router: 'dense',
      router_input: 'x',
    });
  });

  it('loads a file written by PEFT conventions, warning on unknown keys', async () => {
    injectAdapters(model, { r: 2, target_modules: ['q_proj'] });
    await saveAdapter(model, dir);
    AdapterModel.of(model).dispose();
    const path = join(dir, 'adapter_config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...config, layer_replication: null, fancy_new_option: 1 }));
    const warnings: string[] = [];
    const handle = await loadAdapter(model, dir, { adapter: 'mine', onWarning: (m) => warnings.push(m) });
    expect(handle.activeAdapter).toBe('mine');
    expect(warnings).toEqual([`${path}: unknown key 'fancy_new_option' ignored`]);
  });

  it('missing tensors and wrong shapes are errors naming them, and leave no adapter behind', async () => {
    injectAdapters(model, { r: 2, target_modules: ['q_proj', 'up_proj'] });
    await saveAdapter(model, dir);
    AdapterModel.of(model).dispose();
    const weights = join(dir, 'adapter_model.safetensors');
    const { tensors } = decodeSafetensors(await readFile(weights));
    const q = 'base_model.model.model.layers.0.self_attn.q_proj';
    const { [`${q}.lora_B.weight`]: _dropped, ...rest } = tensors;
    rest[`${q}.lora_A.weight`] = { shape: [3, 6], data: new Float32Array(18) };
    await writeFile(weights, encodeSafetensors(rest));
    const before = tf.memory().numTensors;
    await expect(loadAdapter(model, dir)).rejects.toThrow(
      `${weights}: missing tensors: ${q}.lora_B.weight; wrong shapes: ${q}.lora_A.weight is [3,6], expected [2,6]`,
    );
    expect(AdapterModel.of(model).adapterNames).toEqual([]);
    expect(model.linears[0]!.adapter).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('assignAdapterTensors writes into the existing variables, and checks every tensor first', async () => {
    const handle = injectAdapters(model, { method: 'hydra', r: 2, num_heads: 3, target_modules: ['q_proj'] });
    perturbAdapter(handle);
    const tensors = adapterTensors(handle, 'default');
    const variables = [...handle.namedVariables().values()];
    const before = variables.map((v) => Float32Array.from(v.dataSync()));
    const count = tf.memory().numTensors;
    // new values: each saved tensor doubled; heads of one variable are concatenated back
    const doubled = Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data.map((x) => 2 * x) }]),
    );
    assignAdapterTensors(handle, 'default', doubled, { weightsFile: 'doubled' });
    const after = [...handle.namedVariables().values()];
    after.forEach((v, i) => {
      expect(v).toBe(variables[i]);
      expect(Array.from(v.dataSync())).toEqual(Array.from(before[i]!, (x) => 2 * x));
    });
    expect(tf.memory().numTensors).toBe(count);
    // a missing or misshapen tensor: an error naming the file and tensor, nothing assigned
    const q = 'base_model.model.model.layers.0.self_attn.q_proj';
    const { [`${q}.lora_B.1.weight`]: _dropped, ...rest } = tensors;
    expect(() => assignAdapterTensors(handle, 'default', rest, { weightsFile: 'partial' })).toThrow(
      `partial: missing tensors: ${q}.lora_B.1.weight`,
    );
    after.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(before[i]!, (x) => 2 * x)));
    const warnings: string[] = [];
    assignAdapterTensors(
      handle,
      'default',
      { ...tensors, extra: { shape: [1], data: new Float32Array(1) } },
      { weightsFile: 'extra', onWarning: (m) => warnings.push(m) },
    );
    expect(warnings).toEqual(['extra: unexpected tensors ignored: extra']);
    after.forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(before[i]!)));
    expect(tf.memory().numTensors).toBe(count);
  });

  it('refuses PEFT options that change the maths, naming file, field and value', async () => {
    injectAdapters(model, { r: 2, target_modules: ['q_proj'] });
    await saveAdapter(model, dir);
    AdapterModel.of(model).dispose();
    const path = join(dir, 'adapter_config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(path, JSON.stringify({ ...config, bias: 'all' }));
    await expect(loadAdapter(model, dir)).rejects.toThrow(
      `${path}: field 'bias' = "all" is not supported (expected "none")`,
    );
    await writeFile(path, JSON.stringify({ ...config, peft_type: 'VERA' }));
    await expect(loadAdapter(model, dir)).rejects.toThrow(/field 'peft_type' = "VERA" is not supported/);
  });
});
