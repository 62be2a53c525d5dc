import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toFloat32 } from '@hydralora/common';
import { initBackend, linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdapterModel, injectAdapters } from '../adapter-model.js';
import { FakeMlpModel } from '../testing/fake-model.js';
import { perturbAdapter } from '../testing/helpers.js';
import {
  configToOfficial,
  loadOfficialHydraLora,
  readOfficialHydraLora,
  saveOfficialHydraLora,
  tensorsFromOfficial,
  tensorsToOfficial,
} from './hydralora-official.js';
import { PEFT_PREFIX } from './peft-files.js';
import { readTorchCheckpoint, writeTorchCheckpoint } from './torch/torch-bin.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./__fixtures__/hydralora_official.py', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch) {
  console.warn(
    'skipping the official HydraLoRA cross-checks: /usr/bin/python3 with python3-torch is missing',
  );
}
const python = (...args: string[]) => execFileSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8' });

const root = mkdtempSync(join(tmpdir(), 'hydralora-official-'));
const models: FakeMlpModel[] = [];
const fresh = () => {
  const model = new FakeMlpModel();
  models.push(model);
  return model;
};
beforeAll(async () => {
  await initBackend();
});
afterEach(() => {
  for (const model of models.splice(0)) {
    AdapterModel.of(model).dispose();
    model.dispose();
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Expected = {
  tensors: Record<string, { shape: number[]; values: number[] }>;
  x: number[];
  delta: Record<string, number[]>;
};

/** The adapter's contribution to a module's output: apply(x) − W₀x − b. */
function adapterDelta(model: FakeMlpModel, module: string, x: number[]): Float32Array {
  const layer = model.linears.find((l) => l.name === module)!;
  return tf.tidy(() => {
    const input = tf.tensor(x, [2, 3, layer.inFeatures]);
    return tf.sub(layer.apply(input), linear(input, layer.weight, layer.bias)).dataSync() as Float32Array;
  });
}

describe.skipIf(!hasTorch)('the official HydraLoRA layout, against PyTorch', () => {
  let expected: Expected;
  beforeAll(() => {
    python('write', root);
    expected = JSON.parse(readFileSync(join(root, 'expected.json'), 'utf8'));
  });

  for (const format of ['bin', 'safetensors'] as const) {
    it(`loads a ${format} checkpoint written by PyTorch: exact tensors, the official layer's output`, async () => {
      const dir = join(root, format);
      const { config, tensors } = await readOfficialHydraLora(dir);
      expect(config).toMatchObject({ method: 'hydra', r: 2, lora_alpha: 4, num_heads: 3, router: 'dense' });
      expect(config.lora_dropout).toBe(0.05);
      const official = tensorsToOfficial(tensors);
      expect(Object.keys(official).sort()).toEqual(Object.keys(expected.tensors).sort());
      for (const [key, want] of Object.entries(expected.tensors)) {
        expect(official[key]!.shape, key).toEqual(want.shape);
        expect(Array.from(official[key]!.data), key).toEqual(want.values);
      }
      const model = fresh();
      await loadOfficialHydraLora(model, dir);
      for (const [module, want] of Object.entries(expected.delta)) {
        const got = adapterDelta(model, module, expected.x);
        const worst = Math.max(...want.map((w, i) => Math.abs(w - got[i]!)));
        expect(worst, module).toBeLessThan(1e-5);
        expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0.1); // the check is not vacuous
      }
    });
  }

  for (const format of ['bin', 'safetensors'] as const) {
    it(`writes ${format} files that PyTorch loads with the official names and exact values`, async () => {
      const model = fresh();
      const handle = await loadOfficialHydraLora(model, join(root, 'safetensors'));
      const out = join(root, `ours-${format}`);
      await saveOfficialHydraLora(handle, out, { format });
      const report = JSON.parse(python('check', out).trim().split('\n').pop()!);
      expect(report).toMatchObject({ ok: true, format, tensors: 10 });
      expect(report.max_delta_diff).toBe(0);
    });
  }

  it('reads what torch.save writes for a state_dict() (OrderedDict + _metadata), Parameters and float16', () => {
    const file = join(root, 'module.bin');
    const script = [
      'import sys, json, torch',
      'torch.manual_seed(0)',
      'm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 2).half())',
      'sd = m.state_dict()',
      'torch.save(sd, sys.argv[1])',
      'torch.save({"p": torch.nn.Parameter(torch.arange(3.0))}, sys.argv[1] + ".param")',
      'print(json.dumps({k: v.float().reshape(-1).tolist() for k, v in sd.items()}))',
    ].join('\n');
    const want = JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Record<
      string,
      number[]
    >;
    const got = readTorchCheckpoint(readFileSync(file), file);
    expect([...got.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(got.get('1.weight')!.dtype).toBe('F16');
    for (const [key, values] of Object.entries(want)) {
      const t = got.get(key)!;
      expect(Array.from(toFloat32(t.data, t.dtype)), key).toEqual(values);
    }
    const param = readTorchCheckpoint(readFileSync(`${file}.param`)).get('p')!;
    expect(Array.from(param.data as Float32Array)).toEqual([0, 1, 2]);
  });

  it('rejects a pickle that calls os.system, naming the file and the global, and runs nothing', async () => {
    python('malicious', root);
    const dir = join(root, 'evil');
    await expect(readOfficialHydraLora(dir)).rejects.toThrow(
      new RegExp(
        `^${join(dir, 'adapter_model.bin')}: adapter_model/data\\.pkl: global '(posix|os)\\.system' is not allowed`,
      ),
    );
    expect(existsSync(join(root, 'pwned'))).toBe(false);
  });
});

describe('official layout conversions', () => {
  it('round-trips a trained hydra adapter through the official files with identical outputs', async () => {
    const source = fresh();
    const handle = injectAdapters(source, {
      method: 'hydra',
      r: 2,
      num_heads: 3,
      target_modules: ['q_proj', 'up_proj'],
    });
    perturbAdapter(handle);
    const dir = mkdtempSync(join(root, 'rt-'));
    await saveOfficialHydraLora(handle, dir);
    const target = fresh();
    await loadOfficialHydraLora(target, dir);
    const x = Array.from({ length: 36 }, (_, i) => Math.sin(i));
    for (const module of ['model.layers.0.self_attn.q_proj', 'model.layers.0.mlp.up_proj']) {
      expect(Array.from(adapterDelta(target, module, x))).toEqual(
        Array.from(adapterDelta(source, module, x)),
      );
    }
  });

  it('renames heads both ways, a single head as lora_B0', () => {
    const t = { shape: [1], data: Float32Array.of(1) };
    const ours = tensorsFromOfficial(
      { 'model.q.lora_B2.weight': t, [`${PEFT_PREFIX}m.lora_A.weight`]: t },
      3,
    );
    expect(Object.keys(ours)).toEqual([
      `${PEFT_PREFIX}model.q.lora_B.2.weight`,
      `${PEFT_PREFIX}m.lora_A.weight`,
    ]);
    expect(Object.keys(tensorsFromOfficial({ 'm.lora_B0.weight': t }, 1))).toEqual([
      `${PEFT_PREFIX}m.lora_B.weight`,
    ]);
    expect(Object.keys(tensorsToOfficial({ 'm.lora_B.weight': t, 'm.lora_B.1.weight': t }))).toEqual([
      'm.lora_B0.weight',
      'm.lora_B1.weight',
    ]);
    expect(() => tensorsFromOfficial({ 'm.lora_B3.weight': t }, 3, 'x.bin')).toThrow(
      'x.bin: tensor "m.lora_B3.weight" is head 3 but lora_nums is 3',
    );
  });

  it('refuses configs the official layout cannot express, naming the field', () => {
    const model = fresh();
    const handle = injectAdapters(model, { r: 2, target_modules: ['q_proj'] });
    expect(() => configToOfficial(handle.config('default'))).toThrow(
      `adapter config: field 'method' = "lora" has no equivalent in the official HydraLoRA layout (needs "hydra")`,
    );
  });

  it('rejects an official config with a non-neutral bias, and a folder without weights', async () => {
    const dir = mkdtempSync(join(root, 'cfg-'));
    const config = {
      peft_type: 'LORA',
      r: 2,
      lora_alpha: 4,
      lora_nums: 2,
      target_modules: ['q_proj'],
      bias: 'all',
    };
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(config));
    await expect(readOfficialHydraLora(dir)).rejects.toThrow(
      `field 'bias' = "all" is not supported (expected "none")`,
    );
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...config, bias: 'none' }));
    await expect(readOfficialHydraLora(dir)).rejects.toThrow(
      `${dir}: no adapter_model.safetensors or adapter_model.bin`,
    );
  });
});

describe('torch checkpoints', () => {
  it('round-trip every storage dtype, and reject a tensor that reads past its storage', () => {
    const tensors = {
      f: { dtype: 'F32' as const, shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      d: { dtype: 'F64' as const, shape: [1], data: Float64Array.of(Math.PI) },
      l: { dtype: 'I64' as const, shape: [2], data: BigInt64Array.of(-1n, 2n ** 40n) },
      b: { dtype: 'BOOL' as const, shape: [3], data: Uint8Array.of(1, 0, 1) },
      h: { dtype: 'BF16' as const, shape: [], data: Uint16Array.of(0x3f80) },
    };
    const back = readTorchCheckpoint(writeTorchCheckpoint(tensors));
    expect(Object.fromEntries(back)).toEqual(tensors);
    // A storage shorter than the tensor that views it: the reader must notice before indexing.
    const entries = unzipSync(
      writeTorchCheckpoint({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } }),
    );
    const pkl = entries['archive/data.pkl']!;
    const at = Buffer.from(pkl).indexOf('cpuK\x04', 0, 'latin1');
    expect(at).toBeGreaterThan(0);
    pkl[at + 4] = 3; // numel 4 → 3
    const short = zipSync({ ...entries, 'archive/data/0': new Uint8Array(12) });
    expect(() => readTorchCheckpoint(short, 's.bin')).toThrow(
      's.bin: tensor "w": size [4] with stride [1] reads past its storage of 3',
    );
    const missing = zipSync({ 'archive/data.pkl': pkl });
    expect(() => readTorchCheckpoint(missing, 'm.bin')).toThrow(
      'm.bin: tensor "w": storage data/0 is missing',
    );
    expect(() => readTorchCheckpoint(Uint8Array.of(0x80, 2), 'old.bin')).toThrow(
      'old.bin: a legacy (pre-1.6) torch.save file',
    );
    expect(() => readTorchCheckpoint(new Uint8Array(8), 'x.bin')).toThrow('x.bin: not a PyTorch checkpoint');
  });
});
