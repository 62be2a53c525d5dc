import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { injectAdapters } from '../../adapter-model.js';
import { loadAdapter, saveAdapter } from '../../io/peft-files.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from '../../io/safetensors.js';
import { FakeMlpModel } from '../../testing/fake-model.js';
import { budgetSchedule } from './allocator.js';
import type { AdaLoraLayer } from './layer.js';

interface FixtureModule {
  name: string;
  in: number;
  out: number;
  weight: number[];
  bias: number[] | null;
  lora_A: number[];
  lora_E: number[];
  lora_B: number[];
  grad_A: number[];
  grad_E: number[];
  grad_B: number[];
}
interface Fixture {
  dims: [number, number, number];
  r: number;
  alpha: number;
  orth_reg_weight: number;
  head: number[];
  x: number[];
  target: number[];
  modules: FixtureModule[];
  output: number[];
  task: number;
  aux: number;
  schedule: [number, number, boolean][];
  allocator: {
    config: Record<string, number>;
    steps: { step: number; budget: number; grads: Record<string, number[]>; E: Record<string, number[]> }[];
  };
}

let fx: Fixture;
beforeAll(async () => {
  await initBackend();
  const path = new URL('./__fixtures__/adalora_reference.json', import.meta.url);
  fx = JSON.parse(await readFile(path, 'utf8')) as Fixture;
});

/** A PyTorch [rows, cols] matrix in our [cols, rows] layout. */
const transposed = (values: number[], rows: number, cols: number) =>
  tf.tidy(() => tf.transpose(tf.tensor2d(values, [rows, cols])));

function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The fixture's model with its AdaLoRA tensors (config `extra` on top). */
function build(extra: Record<string, unknown> = {}) {
  const [dim, hidden, vocab] = fx.dims;
  const model = new FakeMlpModel(dim, hidden, vocab);
  const handle = injectAdapters(model, {
    method: 'adalora',
    init_r: fx.r,
    target_r: 2,
    lora_alpha: fx.alpha,
    orth_reg_weight: fx.orth_reg_weight,
    target_modules: ['q_proj', 'up_proj', 'down_proj'],
    ...extra,
  });
  const linears = model.namedLinears();
  const layers = handle.moduleLayers();
  tf.tidy(() => {
    linears.get('lm_head')!.weight.assign(transposed(fx.head, vocab, dim));
    for (const m of fx.modules) {
      const linear = linears.get(m.name)!;
      linear.weight.assign(transposed(m.weight, m.out, m.in));
      if (m.bias) (linear.bias as tf.Variable).assign(tf.tensor1d(m.bias));
      const layer = layers.get(m.name) as AdaLoraLayer;
      layer.lora_A.assign(transposed(m.lora_A, fx.r, m.in));
      layer.lora_E.assign(tf.tensor2d(m.lora_E, [1, fx.r]));
      layer.lora_B.assign(transposed(m.lora_B, m.out, fx.r));
    }
  });
  return { model, handle };
}

/** The fixture's allocator settings, as build() takes them. */
function allocatorConfig() {
  const c = fx.allocator.config;
  return {
    tinit: c.tinit,
    tfinal: c.tfinal,
    total_step: c.total_step,
    deltaT: c.deltaT,
    target_r: c.target_r,
    beta1: c.beta1,
    beta2: c.beta2,
  };
}

/** One allocation step from the fixture's recorded gradients. */
const stepOnce = (
  handle: ReturnType<typeof build>['handle'],
  record: Fixture['allocator']['steps'][number],
) => {
  const grads = new Map<string, tf.Tensor>();
  for (const m of fx.modules) {
    grads.set(`${m.name}#0`, transposed(record.grads[`${m.name}|A`]!, fx.r, m.in));
    grads.set(`${m.name}#1`, tf.tensor2d(record.grads[`${m.name}|E`]!, [1, fx.r]));
    grads.set(`${m.name}#2`, transposed(record.grads[`${m.name}|B`]!, m.out, fx.r));
  }
  handle.afterStep({ grads, step: record.step });
  tf.dispose([...grads.values()]);
};

describe('adalora against the PyTorch float64 reference', () => {
  it('forward, orthogonality term and gradients', () => {
    const { model, handle } = build();
    const [dim, , vocab] = fx.dims;
    const x = tf.tensor3d(fx.x, [2, 3, dim]);
    const target = tf.tensor3d(fx.target, [2, 3, vocab]);
    const vars = handle.namedVariables();
    const parts: { out?: Float32Array; task?: number; aux?: number } = {};
    const { grads } = tf.variableGrads(() => {
      const { output, auxLoss } = model.forwardWithAux(x, { training: true });
      const task = tf.sum(tf.mul(output, target));
      parts.out = output.dataSync() as Float32Array;
      parts.task = task.dataSync()[0]!;
      parts.aux = auxLoss!.dataSync()[0]!;
      return tf.add(task, auxLoss!) as tf.Scalar;
    }, [...vars.values()]);
    const outError = maxError(parts.out!, fx.output);
    expect(outError).toBeLessThan(1e-5);
    expect(Math.abs(parts.task! - fx.task)).toBeLessThan(1e-5);
    expect(Math.abs(parts.aux! - fx.aux)).toBeLessThan(1e-5);
    let gradError = 0;
    for (const m of fx.modules) {
      const [a, e, b] = [0, 1, 2].map((i) => grads[vars.get(`${m.name}#${i}`)!.name]!);
      const ga = transposed(m.grad_A, fx.r, m.in);
      const gb = transposed(m.grad_B, m.out, fx.r);
      gradError = Math.max(
        gradError,
        maxError(a!.dataSync(), ga.dataSync()),
        maxError(e!.dataSync(), m.grad_E),
        maxError(b!.dataSync(), gb.dataSync()),
      );
      tf.dispose([ga, gb]);
    }
    expect(gradError).toBeLessThan(1e-5);
    console.log(
      `adalora vs PyTorch: output ${outError.toExponential(2)}, gradients ${gradError.toExponential(2)}`,
    );
    tf.dispose([x, target, ...Object.values(grads)]);
    handle.dispose();
    model.dispose();
  });

  it("budget schedule equals PEFT's formula", () => {
    const c = fx.allocator.config;
    for (const [step, budget, mask] of fx.schedule) {
      expect(
        budgetSchedule(step, {
          initBudget: 9,
          targetBudget: 6,
          tinit: c.tinit!,
          tfinal: c.tfinal!,
          totalStep: c.total_step!,
          deltaT: c.deltaT!,
        }),
      ).toEqual({ budget, mask });
    }
  });

  it('importance scores and rank masking step by step (afterStep)', () => {
    const { model, handle } = build(allocatorConfig());
    const layers = handle.moduleLayers();
    const before = tf.memory().numTensors;
    for (const record of fx.allocator.steps) {
      stepOnce(handle, record);
      for (const m of fx.modules) {
        const e = (layers.get(m.name) as AdaLoraLayer).lora_E.dataSync();
        const expected = record.E[m.name]!;
        // the same triplets are zero, the rest unchanged
        expect(Array.from(e, (v) => v === 0)).toEqual(expected.map((v) => v === 0));
        expect(maxError(e, expected)).toBeLessThan(1e-6);
      }
    }
    // the moments were freed at the final allocation (PEFT's reset_ipt)
    expect(tf.memory().numTensors).toBe(before);
    const kept = fx.modules.map((m) => (layers.get(m.name) as AdaLoraLayer).rankMask!.filter(Boolean).length);
    expect(kept.reduce((a, b) => a + b, 0)).toBe(6);
    handle.dispose();
    model.dispose();
  });
});

describe('adalora checkpoint state', () => {
  const snapshot = (handle: ReturnType<typeof build>['handle']) =>
    [...handle.moduleLayers().values()].map((l) => ({
      e: Array.from((l as AdaLoraLayer).lora_E.dataSync()),
      mask: (l as AdaLoraLayer).rankMask,
    }));

  it.each([1, 4, 6, 8])(
    'restored after %i steps into a fresh adapter, the allocation continues exactly as without a stop',
    (k) => {
      const start = tf.memory().numTensors;
      const straight = build(allocatorConfig());
      for (const record of fx.allocator.steps) stepOnce(straight.handle, record);
      const stopped = build(allocatorConfig());
      for (const record of fx.allocator.steps.slice(0, k)) stepOnce(stopped.handle, record);
      const state = stopped.handle.checkpointState()!;
      expect(stopped.handle.keepsCheckpointState()).toBe(true);
      expect(state.values.totalStep).toBe(fx.allocator.config.total_step);
      const values = [...stopped.handle.namedVariables().values()].map((v) =>
        Float32Array.from(v.dataSync()),
      );
      stopped.handle.dispose();
      stopped.model.dispose();
      // a fresh adapter (another process, say): variables from the checkpoint, then the state
      const resumed = build(allocatorConfig());
      [...resumed.handle.namedVariables().values()].forEach((v, i) =>
        tf.tidy(() => v.assign(tf.tensor(values[i]!, v.shape))),
      );
      resumed.handle.restoreCheckpointState(structuredClone(state), { source: 'ckpt' });
      for (const record of fx.allocator.steps.slice(k)) stepOnce(resumed.handle, record);
      expect(snapshot(resumed.handle)).toEqual(snapshot(straight.handle));
      for (const run of [straight, resumed]) {
        run.handle.dispose();
        run.model.dispose();
      }
      // the allocators' moments went with their adapters
      expect(tf.memory().numTensors).toBe(start);
    },
  );

  it('a state that does not fit the adapter is an error naming the field or tensor', () => {
    const start = tf.memory().numTensors;
    const { model, handle } = build(allocatorConfig());
    stepOnce(handle, fx.allocator.steps[0]!);
    const state = handle.checkpointState()!;
    const masks = state.values.rankMasks as Record<string, unknown>;
    const q = fx.modules[0]!.name;
    const restore = (s: typeof state) => () => handle.restoreCheckpointState(s, { source: 'ckpt' });
    expect(
      restore({ ...state, values: { ...state.values, rankMasks: { ...masks, 'no.such': null } } }),
    ).toThrow("ckpt: AdaLoRA state field 'rankMasks' names modules this adapter does not adapt: no.such");
    expect(restore({ ...state, values: { ...state.values, rankMasks: { ...masks, [q]: [true] } } })).toThrow(
      `ckpt: AdaLoRA state field 'rankMasks.${q}' = [true]: expected null or ${fx.r} booleans`,
    );
    const { [`unc/${q}#1`]: _dropped, ...partial } = state.tensors;
    expect(restore({ ...state, tensors: partial })).toThrow(
      `ckpt: AdaLoRA state has tensor 'unc/${q}#1' missing (its pair is there)`,
    );
    const ipt = state.tensors[`ipt/${q}#1`]!;
    expect(
      restore({
        ...state,
        tensors: { ...state.tensors, [`ipt/${q}#1`]: { shape: [2], data: ipt.data.slice(0, 2) } },
      }),
    ).toThrow(/ckpt: AdaLoRA moment 'ipt' of .* is \[2\], expected \[1,3\]/);
    expect(restore({ ...state, values: { ...state.values, totalStep: 'soon' } })).toThrow(
      `ckpt: AdaLoRA state field 'totalStep' = "soon": expected a positive integer or null`,
    );
    handle.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
    // methods without such state say so
    const lora = new FakeMlpModel();
    const h = injectAdapters(lora, { r: 2, target_modules: ['q_proj'] });
    expect(h.keepsCheckpointState()).toBe(false);
    expect(h.checkpointState()).toBeUndefined();
    expect(() => h.restoreCheckpointState(state, { source: 'ckpt' })).toThrow(
      "ckpt: holds method state, but adapter 'default' (method 'lora') keeps none",
    );
    h.dispose();
    lora.dispose();
  });
});

describe('adalora files', () => {
  it("save → load in PEFT's ADALORA layout", async () => {
    const { model, handle } = build({ total_step: 100 });
    const dir = await mkdtemp(join(tmpdir(), 'adalora-'));
    try {
      await saveAdapter(handle, dir);
      const json = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
      expect(json).toMatchObject({
        peft_type: 'ADALORA',
        init_r: 3,
        target_r: 2,
        r: 3,
        lora_alpha: 4,
        orth_reg_weight: 0.5,
        total_step: 100,
        tinit: 0,
        tfinal: 0,
        deltaT: 1,
        beta1: 0.85,
        beta2: 0.85,
        rank_pattern: null,
      });
      const { tensors } = decodeSafetensors(await readFile(join(dir, 'adapter_model.safetensors')));
      const q = 'base_model.model.model.layers.0.self_attn.q_proj';
      expect(tensors[`${q}.lora_A`]!.shape).toEqual([3, 6]);
      expect(tensors[`${q}.lora_E`]!.shape).toEqual([3, 1]);
      expect(tensors[`${q}.lora_B`]!.shape).toEqual([6, 3]);
      expect(maxError(tensors[`${q}.lora_A`]!.data, fx.modules[0]!.lora_A)).toBeLessThan(1e-6);
      expect(Object.keys(tensors)).toHaveLength(9);
      const other = new FakeMlpModel(...fx.dims);
      const loaded = await loadAdapter(other, dir);
      expect(loaded.config().total_step).toBe(100);
      for (const [module, layer] of handle.moduleLayers()) {
        const twin = loaded.moduleLayers().get(module)!;
        layer
          .variables()
          .forEach((v, i) => expect(maxError(v.dataSync(), twin.variables()[i]!.dataSync())).toBe(0));
      }
      loaded.dispose();
      other.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      handle.dispose();
      model.dispose();
    }
  });

  it("loads PEFT's resized files (boolean rank_pattern) to the same outputs, and writes them back so", async () => {
    const { model, handle } = build();
    const keep: Record<string, boolean[]> = {
      'model.layers.0.self_attn.q_proj': [true, false, true],
      'model.layers.0.mlp.up_proj': [false, false, true],
      'model.layers.0.mlp.down_proj': [true, true, true],
    };
    for (const [module, layer] of handle.moduleLayers()) (layer as AdaLoraLayer).applyMask(keep[module]!);
    const x = tf.tensor3d(fx.x, [2, 3, fx.dims[0]]);
    const expected = tf.tidy(() => model.forward(x).dataSync());
    const dir = await mkdtemp(join(tmpdir(), 'adalora-peft-'));
    try {
      await saveAdapter(handle, dir);
      // cut the file to the kept triplets, as PEFT's resize_state_dict_by_rank_pattern does
      const { tensors } = decodeSafetensors(await readFile(join(dir, 'adapter_model.safetensors')));
      const cut: Record<string, HostTensor> = {};
      for (const [key, t] of Object.entries(tensors)) {
        const module = key.replace(/^base_model\.model\./, '').replace(/\.lora_[AEB]$/, '');
        const rows = keep[module]!;
        const [d0, d1] = t.shape as [number, number];
        const isB = key.endsWith('lora_B');
        const kept = rows.flatMap((k, i) => (k ? [i] : []));
        const data = isB
          ? Float32Array.from(
              { length: d0 * kept.length },
              (_, j) => t.data[Math.floor(j / kept.length) * d1 + kept[j % kept.length]!]!,
            )
          : Float32Array.from(
              { length: kept.length * d1 },
              (_, j) => t.data[kept[Math.floor(j / d1)]! * d1 + (j % d1)]!,
            );
        cut[key] = { shape: isB ? [d0, kept.length] : [kept.length, d1], data };
      }
      await writeFile(join(dir, 'adapter_model.safetensors'), encodeSafetensors(cut, { format: 'pt' }));
      const json = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
      json.rank_pattern = Object.fromEntries(Object.entries(keep).map(([m, k]) => [`${m}.lora_E`, k]));
      await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(json));
      const other = new FakeMlpModel(...fx.dims);
      tf.tidy(() => {
        for (const [name, l] of model.namedLinears()) {
          other.namedLinears().get(name)!.weight.assign(l.weight);
          if (l.bias) (other.namedLinears().get(name)!.bias as tf.Variable).assign(l.bias);
        }
      });
      const loaded = await loadAdapter(other, dir);
      const ranks = [...loaded.moduleLayers().values()].map((l) => (l as AdaLoraLayer).r);
      expect(ranks).toEqual([2, 1, 3]);
      const got = tf.tidy(() => other.forward(x).dataSync());
      expect(maxError(got, expected)).toBeLessThan(1e-6);
      const again = await mkdtemp(join(tmpdir(), 'adalora-peft-'));
      await saveAdapter(loaded, again);
      const written = JSON.parse(await readFile(join(again, 'adapter_config.json'), 'utf8'));
      expect(written.rank_pattern).toEqual(json.rank_pattern);
      const re = decodeSafetensors(await readFile(join(again, 'adapter_model.safetensors'))).tensors;
      expect(re['base_model.model.model.layers.0.mlp.up_proj.lora_B']!.shape).toEqual([10, 1]);
      await rm(again, { recursive: true, force: true });
      loaded.dispose();
      other.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      x.dispose();
      handle.dispose();
      model.dispose();
    }
  });

  it('%Param counts P, Λ and Q at init_r', () => {
    const { model, handle } = build();
    // q 6→6, up 6→10, down 10→6 at r = 3: r·(in + out + 1) each
    expect(handle.parameterCount().trainable).toBe(3 * (13 + 17 + 17));
    handle.dispose();
    model.dispose();
  });

  it('errors name the field', () => {
    const model = new FakeMlpModel();
    expect(() =>
      injectAdapters(model, { method: 'adalora', init_r: 2, target_r: 4, target_modules: ['q_proj'] }),
    ).toThrow(/'target_r' = 4 must not exceed 'init_r' = 2/);
    const handle = injectAdapters(model, { method: 'adalora', target_modules: ['q_proj'] }, 'b');
    expect(() => handle.afterStep({ grads: new Map(), step: 0 })).toThrow(/'total_step' = null/);
    handle.dispose();
    model.dispose();
  });
});
