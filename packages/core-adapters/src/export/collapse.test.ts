/**
 * Collapsing adapters to plain PEFT LoRA, checked against references computed apart from the
 * code under test: plain-JS sums over the saved head tensors, and the original adapter's own
 * forward pass where its router really outputs the fixed ω (uniform router, Split component).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdapterModel, injectAdapters } from '../adapter-model.js';
import type { AdapterConfigInput } from '../config.js';
import { loadAdapter, readAdapterConfig, saveAdapter } from '../io/peft-files.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from '../io/safetensors.js';
import { FakeMlpModel } from '../testing/fake-model.js';
import { hostValues, maxDiff, perturbAdapter, randomTensor, randomValues } from '../testing/helpers.js';
import { collapseAdapter, exportPeftLora, savePeftLora } from './collapse.js';
import { parseHeadWeights } from './head-weights.js';
import { mergePeftLora } from './merge-lora.js';

const P = 'base_model.model.model.layers.0';
const MODULES = ['self_attn.q_proj', 'mlp.up_proj', 'mlp.down_proj'].map((m) => `model.layers.0.${m}`);
/** Base config: down_proj gets r = 3 (rank_pattern), up_proj α = 5 (alpha_pattern). */
const BASE: Omit<AdapterConfigInput, 'target_modules'> = {
  r: 2,
  lora_alpha: 4,
  num_heads: 3,
  rank_pattern: { down_proj: 3 },
  alpha_pattern: { up_proj: 5 },
};
const TARGETS = ['q_proj', 'up_proj', 'down_proj'];
/** The source scaling α/r per module, written out by hand from BASE. */
const SOURCE_SCALING: Record<string, number> = {
  'model.layers.0.self_attn.q_proj': 4 / 2,
  'model.layers.0.mlp.up_proj': 5 / 2,
  'model.layers.0.mlp.down_proj': 4 / 3,
};
/** PEFT LoraConfig keys, exactly what a plain LoRA export writes. */
const PEFT_LORA_KEYS = [
  'alpha_pattern',
  'auto_mapping',
  'base_model_name_or_path',
  'bias',
  'fan_in_fan_out',
  'inference_mode',
  'init_lora_weights',
  'layers_pattern',
  'layers_to_transform',
  'loftq_config',
  'lora_alpha',
  'lora_dropout',
  'megatron_config',
  'megatron_core',
  'modules_to_save',
  'peft_type',
  'r',
  'rank_pattern',
  'revision',
  'target_modules',
  'task_type',
  'use_dora',
  'use_rslora',
];

let dir: string;
const models: FakeMlpModel[] = [];
function fakeModel(): FakeMlpModel {
  const m = new FakeMlpModel();
  models.push(m);
  return m;
}
beforeAll(async () => {
  await initBackend();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hydralora-export-'));
});
afterEach(async () => {
  for (const m of models.splice(0)) {
    AdapterModel.of(m).dispose();
    m.dispose();
  }
  await rm(dir, { recursive: true, force: true });
});

/** A model with a perturbed adapter of `config`, saved to dir/source. */
async function savedAdapter(config: Partial<AdapterConfigInput>) {
  const model = fakeModel();
  const handle = injectAdapters(model, { ...BASE, target_modules: TARGETS, ...config } as AdapterConfigInput);
  perturbAdapter(handle, 3);
  const source = join(dir, 'source');
  await saveAdapter(handle, source);
  return { model, handle, source };
}

async function readFiles(path: string) {
  const { tensors } = decodeSafetensors(await readFile(join(path, 'adapter_model.safetensors')));
  const config = JSON.parse(await readFile(join(path, 'adapter_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  return { tensors, config };
}

/** y = B·(A·x) for x [T, in] row-major, A [r, in], B [out, r] (PyTorch layout), in plain JS. */
function loraProduct(a: HostTensor, b: HostTensor, x: Float32Array, rows: number): Float64Array {
  const [r, inF] = a.shape as [number, number];
  const outF = b.shape[0] as number;
  const y = new Float64Array(rows * outF);
  for (let t = 0; t < rows; t++) {
    const h = new Float64Array(r);
    for (let j = 0; j < r; j++) for (let k = 0; k < inF; k++) h[j]! += a.data[j * inF + k]! * x[t * inF + k]!;
    for (let o = 0; o < outF; o++) for (let j = 0; j < r; j++) y[t * outF + o]! += b.data[o * r + j]! * h[j]!;
  }
  return y;
}

/** PEFT's per-module α/r from a config JSON: pattern keys match the end of the module name. */
function peftScaling(config: Record<string, unknown>, module: string): { r: number; alpha: number } {
  const match = (patterns: Record<string, number>) =>
    Object.entries(patterns).find(([k]) => module === k || module.endsWith(`.${k}`))?.[1];
  return {
    r: match(config.rank_pattern as Record<string, number>) ?? (config.r as number),
    alpha: match(config.alpha_pattern as Record<string, number>) ?? (config.lora_alpha as number),
  };
}

/**
 * Reference: Σᵢ ωᵢ·s·Bᵢ·Aᵢ·x per module from the SOURCE file's head tensors (a shared A or B
 * serves every head), against s'·B'·A'·x from the EXPORTED file with PEFT's α/r of its config.
 */
async function expectSameUpdates(
  source: string,
  exported: string,
  weights: number[],
  numA: number,
  numB: number,
) {
  const src = await readFiles(source);
  const out = await readFiles(exported);
  let worst = 0;
  for (const module of MODULES) {
    const head = (kind: string, count: number, i: number) =>
      src.tensors[`base_model.model.${module}.${kind}${count === 1 ? '' : `.${i}`}.weight`]!;
    const inF = head('lora_A', numA, 0).shape[1]!;
    const x = randomValues(4 * inF, 17);
    const reference = new Float64Array(4 * head('lora_B', numB, 0).shape[0]!);
    weights.forEach((w, i) => {
      const y = loraProduct(head('lora_A', numA, i), head('lora_B', numB, i), x, 4);
      y.forEach((v, j) => {
        reference[j]! += w * SOURCE_SCALING[module]! * v;
      });
    });
    const a = out.tensors[`base_model.model.${module}.lora_A.weight`]!;
    const b = out.tensors[`base_model.model.${module}.lora_B.weight`]!;
    const { r, alpha } = peftScaling(out.config, module);
    expect(a.shape[0]).toBe(r);
    expect(b.shape[1]).toBe(r);
    const y = loraProduct(a, b, x, 4).map((v) => (alpha / r) * v);
    worst = Math.max(worst, maxDiff(y, reference));
    expect(maxDiff(reference, new Float64Array(reference.length))).toBeGreaterThan(1e-3);
  }
  expect(worst).toBeLessThanOrEqual(1e-5);
}

describe('collapse to a plain LoRA: numbers against plain-JS references from the saved heads', () => {
  const omega = [0.2, 0.5, 0.3];
  for (const [method, numA, numB, rank] of [
    ['hydra', 1, 3, 1],
    ['hydra-diverse', 1, 3, 1],
    ['inverted-hydra', 3, 1, 1],
    ['lora-moe', 3, 3, 3],
    ['split', 3, 3, 3],
  ] as const) {
    it(`${method}: ω = ${omega} gives rank ${rank}·r with α scaled alike, Σᵢ ωᵢ·s·Bᵢ·Aᵢ to ≤ 1e-5`, async () => {
      const { source } = await savedAdapter({ method });
      const out = join(dir, 'out');
      const lora = await exportPeftLora(source, out, { weights: omega.join(',') });
      expect(lora.rankFactor).toBe(rank);
      const { config } = await readFiles(out);
      expect(config).toMatchObject({
        peft_type: 'LORA',
        r: 2 * rank,
        lora_alpha: 4 * rank,
        rank_pattern: { down_proj: 3 * rank },
        alpha_pattern: { up_proj: 5 * rank },
      });
      await expectSameUpdates(source, out, omega, numA, numB);
    });
  }

  it('rsLoRA: a K-fold rank keeps α/√r by scaling α by √K', async () => {
    const { source } = await savedAdapter({
      method: 'lora-moe',
      use_rslora: true,
      rank_pattern: {},
      alpha_pattern: {},
    });
    const lora = await collapseAdapter(source, { weights: 'uniform' });
    expect(lora.config).toMatchObject({ r: 6, lora_alpha: 4 * Math.sqrt(3), use_rslora: true });
    for (const m of lora.modules) expect(m.scaling).toBeCloseTo(4 / Math.sqrt(2), 12);
  });

  it('heads with ω = 0 are left out: head:1 of LoRA-Split is its component 1 at rank r, bit for bit', async () => {
    const { source } = await savedAdapter({ method: 'split' });
    const out = join(dir, 'out');
    const lora = await exportPeftLora(source, out, { weights: 'head:1' });
    expect(lora.rankFactor).toBe(1);
    const src = await readFiles(source);
    const exp = await readFiles(out);
    expect(exp.config).toMatchObject({ r: 2, lora_alpha: 4, rank_pattern: { down_proj: 3 } });
    for (const module of MODULES) {
      for (const kind of ['lora_A', 'lora_B']) {
        expect(exp.tensors[`base_model.model.${module}.${kind}.weight`]).toEqual(
          src.tensors[`base_model.model.${module}.${kind}.1.weight`],
        );
      }
    }
    expect(lora.note).toMatch(/equals the adapter for samples of component 1 only/);
  });

  it('plain LoRA is exported unchanged (tensors and the PEFT config)', async () => {
    const { source } = await savedAdapter({ method: 'lora' });
    const out = join(dir, 'out');
    const lora = await exportPeftLora(source, out, {});
    expect(lora.note).toBeNull();
    const src = await readFiles(source);
    const exp = await readFiles(out);
    expect(exp.tensors).toEqual(src.tensors);
    expect(exp.config).toEqual(src.config);
  });
});

describe('collapse against the adapter forward with the router forced to ω', () => {
  const x = () => randomTensor([2, 3, 6], 23);

  for (const config of [
    { method: 'hydra', router: 'uniform' },
    { method: 'hydra-diverse', router: 'uniform' },
    { method: 'inverted-hydra', router: 'uniform' },
    { method: 'lora-moe', router: 'uniform' },
    { method: 'lora-moe', router: 'uniform', use_rslora: true },
    { method: 'lora', router: 'dense' },
  ] as const) {
    it(`${JSON.stringify(config)}: the exported LoRA's forward equals the adapter's to ≤ 1e-5`, async () => {
      const { model, handle } = await savedAdapter(config);
      const expected = hostValues(() => model.forward(x()));
      const base = (() => {
        handle.disable();
        const v = hostValues(() => model.forward(x()));
        handle.enable();
        return v;
      })();
      const before = tf.memory().numTensors;
      const lora = await collapseAdapter(handle); // the default ω: uniform for the uniform router
      expect(tf.memory().numTensors).toBe(before);
      expect(lora.note).toBeNull();
      const out = join(dir, 'out');
      await savePeftLora(lora, out);
      const fresh = fakeModel();
      await loadAdapter(fresh, out);
      expect(AdapterModel.of(fresh).config().method).toBe('lora');
      const actual = hostValues(() => fresh.forward(x()));
      expect(maxDiff(actual, expected)).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(expected, base)).toBeGreaterThan(1e-3);
    });
  }

  it('LoRA-Split head:2 equals the adapter on samples of component 2', async () => {
    const { model, handle } = await savedAdapter({ method: 'split' });
    const expected = hostValues(() => model.forward(x(), { componentIds: Int32Array.from([2, 2]) }));
    const other = hostValues(() => model.forward(x(), { componentIds: Int32Array.from([0, 0]) }));
    const lora = await collapseAdapter(handle, { weights: 'head:2' });
    const fresh = fakeModel();
    await exportPeftLora(handle, join(dir, 'out'), { weights: 'head:2' });
    await loadAdapter(fresh, join(dir, 'out'));
    const actual = hostValues(() => fresh.forward(x()));
    expect(maxDiff(actual, expected)).toBeLessThanOrEqual(1e-5);
    expect(maxDiff(actual, other)).toBeGreaterThan(1e-3);
    expect(Object.fromEntries(lora.modules.map((m) => [m.name, [m.r, m.alpha]]))).toEqual({
      [MODULES[0]!]: [2, 4],
      [MODULES[1]!]: [2, 5],
      [MODULES[2]!]: [3, 4],
    });
  });

  it('a live adapter and its saved directory collapse to the same files', async () => {
    const { handle, source } = await savedAdapter({ method: 'hydra' });
    const live = await collapseAdapter(handle, { weights: [0.1, 0.6, 0.3] });
    const saved = await collapseAdapter(source, { weights: '0.1,0.6,0.3' });
    expect(live.tensors).toEqual(saved.tensors);
    expect(live.config).toEqual(saved.config);
  });
});

describe('the exported files', () => {
  it('hold exactly PEFT names, [r, in] / [out, r] shapes and LoraConfig keys, no router or heads', async () => {
    const { source } = await savedAdapter({ method: 'lora-moe', router: 'dense' });
    const out = join(dir, 'out');
    await exportPeftLora(source, out, { weights: '0.5,0,0.5' });
    expect((await readdir(out)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const { tensors, config } = await readFiles(out);
    expect(Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, v.shape]))).toEqual({
      [`${P}.self_attn.q_proj.lora_A.weight`]: [4, 6],
      [`${P}.self_attn.q_proj.lora_B.weight`]: [6, 4],
      [`${P}.mlp.up_proj.lora_A.weight`]: [4, 6],
      [`${P}.mlp.up_proj.lora_B.weight`]: [10, 4],
      [`${P}.mlp.down_proj.lora_A.weight`]: [6, 10],
      [`${P}.mlp.down_proj.lora_B.weight`]: [6, 6],
    });
    expect(Object.keys(config).sort()).toEqual(PEFT_LORA_KEYS);
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: TARGETS });
    // Our own reader sees a plain LoRA too.
    expect((await readAdapterConfig(out)).method).toBe('lora');
  });

  it('the per-token router note says the export is exact only for that ω', async () => {
    const { source } = await savedAdapter({ method: 'hydra', router: 'dense' });
    const lora = await collapseAdapter(source, { weights: 'head:0' });
    expect(lora.note).toBe(
      "router 'dense' chooses ω per token: the export is exact only where it outputs ω = [1, 0, 0]",
    );
    expect(lora.source).toEqual({
      method: 'hydra',
      numHeads: 3,
      router: 'dense',
      routing: 'token',
      weights: [1, 0, 0],
    });
  });
});

describe('merge into the base weights', () => {
  it('W + s·Aᵀ·Bᵀ per module ([in, out] layout), equal to base + the exported LoRA, no leaks', async () => {
    const { model, handle } = await savedAdapter({ method: 'lora-moe', router: 'uniform' });
    const lora = await collapseAdapter(handle);
    const x = () => randomTensor([2, 3, 6], 29);
    const withAdapter = hostValues(() => model.forward(x()));
    const merged = fakeModel();
    const q = merged.linears[0]!;
    const w0 = Float32Array.from(q.weight.dataSync());
    const before = tf.memory().numTensors;
    expect(mergePeftLora(merged, lora)).toEqual(lora.modules.map((m) => m.name));
    expect(tf.memory().numTensors).toBe(before);
    // Plain JS: ΔW[i][o] = s·Σⱼ A[j][i]·B[o][j] for q_proj (6 → 6).
    const m = lora.modules.find((mod) => mod.name === q.name)!;
    const r = m.a.shape[0]!;
    const w1 = q.weight.dataSync();
    let worst = 0;
    for (let i = 0; i < 6; i++) {
      for (let o = 0; o < 6; o++) {
        let d = 0;
        for (let j = 0; j < r; j++) d += m.a.data[j * 6 + i]! * m.b.data[o * r + j]!;
        worst = Math.max(worst, Math.abs(w1[i * 6 + o]! - w0[i * 6 + o]! - m.scaling * d));
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
    expect(
      maxDiff(
        hostValues(() => merged.forward(x())),
        withAdapter,
      ),
    ).toBeLessThanOrEqual(1e-5);
  });

  it('checks every module before changing any weight', async () => {
    const { handle } = await savedAdapter({ method: 'lora' });
    const lora = await collapseAdapter(handle);
    const other = new FakeMlpModel(6, 12);
    models.push(other);
    const w0 = other.linears.map((l) => Float32Array.from(l.weight.dataSync()));
    expect(() => mergePeftLora(other, lora)).toThrow(
      'merge: model.layers.0.mlp.up_proj: the LoRA maps 6 → 10 but the layer maps 6 → 12; ' +
        'model.layers.0.mlp.down_proj: the LoRA maps 10 → 6 but the layer maps 12 → 6',
    );
    other.linears.forEach((l, i) => expect(Array.from(l.weight.dataSync())).toEqual(Array.from(w0[i]!)));
    expect(() =>
      mergePeftLora(other, { modules: [{ ...lora.modules[0]!, name: 'model.layers.9.self_attn.q_proj' }] }),
    ).toThrow("merge: module 'model.layers.9.self_attn.q_proj' is not a linear layer of the model");
  });
});

describe('errors name the field, the file and the value', () => {
  it('weights specs', () => {
    expect(parseHeadWeights('uniform', 4)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(parseHeadWeights(' head:2 ', 3)).toEqual([0, 0, 1]);
    expect(parseHeadWeights('0.1, 0.2,0.7', 3)).toEqual([0.1, 0.2, 0.7]);
    expect(parseHeadWeights([1], 1)).toEqual([1]);
    expect(() => parseHeadWeights('head:3', 3, '--weights')).toThrow(
      '--weights = "head:3": head 3 is out of range: the adapter has 3 head(s), 0 … 2',
    );
    expect(() => parseHeadWeights('head:x', 3, '--weights')).toThrow(
      /^--weights = "head:x": 'x' is not a head index; expected uniform, head:<i> \(0 ≤ i < 3\) or 3 comma-separated/,
    );
    expect(() => parseHeadWeights('0.5,0.6', 2, '--weights')).toThrow(
      '--weights = "0.5,0.6": the weights sum to 1.1, expected 1',
    );
    expect(() => parseHeadWeights('1.5,-0.5', 2)).toThrow(
      'weights = "1.5,-0.5": weight 1 is -0.5; every weight must be a number ≥ 0',
    );
    expect(() => parseHeadWeights('0.5,0.5', 3, '--weights')).toThrow(
      /^--weights = "0.5,0.5": 2 weight\(s\) for an adapter with 3 head\(s\)/,
    );
    expect(() => parseHeadWeights('half,half', 2, '--weights')).toThrow(
      /^--weights = "half,half": 'half' is not a number/,
    );
    expect(() => parseHeadWeights('', 2, '--weights')).toThrow(/^--weights = "": '' is not a number/);
  });

  it('a routed adapter needs explicit weights', async () => {
    const { source } = await savedAdapter({ method: 'hydra', router: 'dense' });
    await expect(collapseAdapter(source, { weightsField: '--weights' })).rejects.toThrow(
      `${join(source, 'adapter_config.json')}: --weights is required: method 'hydra' has 3 heads and its router 'dense' chooses ω per token`,
    );
    const split = await savedAdapter({ method: 'split' });
    await expect(collapseAdapter(split.handle)).rejects.toThrow(
      /adapter 'default': weights is required: method 'split' has 3 heads and LoRA-Split picks one of its 3 components per sample; pass weights head:<i>/,
    );
  });

  it('missing files and missing or misshapen tensors', async () => {
    await expect(collapseAdapter(join(dir, 'nowhere'))).rejects.toThrow(
      `${join(dir, 'nowhere', 'adapter_config.json')}: cannot read the adapter config`,
    );
    const { source } = await savedAdapter({ method: 'hydra', router: 'uniform' });
    const file = join(source, 'adapter_model.safetensors');
    const { tensors } = decodeSafetensors(await readFile(file));
    await rm(file);
    await expect(collapseAdapter(source)).rejects.toThrow(`${file}: cannot read the adapter weights`);
    const { [`${P}.mlp.up_proj.lora_B.1.weight`]: _dropped, ...rest } = tensors;
    rest[`${P}.self_attn.q_proj.lora_A.weight`] = { shape: [3, 6], data: new Float32Array(18) };
    await writeFile(file, encodeSafetensors(rest));
    await expect(collapseAdapter(source)).rejects.toThrow(
      `${file}: missing tensors: ${P}.mlp.up_proj.lora_B.1.weight; wrong tensors: ` +
        `${P}.self_attn.q_proj.lora_A.weight is [3,6], expected [2,6] (r = 2)`,
    );
    await writeFile(
      file,
      encodeSafetensors({
        ...tensors,
        'base_model.model.x.weight': { shape: [1], data: new Float32Array(1) },
      }),
    );
    await expect(collapseAdapter(source)).rejects.toThrow(
      `${file}: tensors that are not base_model.model.<module>.lora_{A,B,route}[.<i>].weight: base_model.model.x.weight`,
    );
  });
});
