import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdapterModel, injectAdapters } from '../../adapter-model.js';
import { loadAdapter, saveAdapter } from '../../io/peft-files.js';
import { decodeSafetensors } from '../../io/safetensors.js';
import { FakeMlpModel } from '../../testing/fake-model.js';
import { hostValues, maxDiff, randomTensor } from '../../testing/helpers.js';
import type { Ia3Layer } from './layer.js';

beforeAll(async () => {
  await initBackend();
});

const Q = 'model.layers.0.self_attn.q_proj';
const UP = 'model.layers.0.mlp.up_proj';
const DOWN = 'model.layers.0.mlp.down_proj';
const config = { method: 'ia3', target_modules: ['q_proj', 'down_proj'], feedforward_modules: ['down_proj'] };

describe('(IA)³', () => {
  let model: FakeMlpModel;
  let dir: string;
  beforeEach(async () => {
    model = new FakeMlpModel(6);
    dir = await mkdtemp(join(tmpdir(), 'hydralora-ia3-'));
  });
  afterEach(async () => {
    AdapterModel.of(model).dispose();
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('scales q_proj output (bias included) and down_proj input, as y = (x·W + b)⊙l and (x⊙l)·W', () => {
    const handle = injectAdapters(model, config);
    const layers = handle.moduleLayers();
    const q = layers.get(Q) as Ia3Layer;
    const down = layers.get(DOWN) as Ia3Layer;
    expect([q.feedforward, q.scale.shape]).toEqual([false, [1, 6]]);
    expect([down.feedforward, down.scale.shape]).toEqual([true, [1, 10]]);
    const lq = randomTensor([1, 6], 1, 0.5);
    const ld = randomTensor([1, 10], 2, 0.5);
    tf.tidy(() => {
      q.scale.assign(tf.add(lq, 1));
      down.scale.assign(tf.add(ld, 1));
    });
    const [ql, , dl] = model.linears as [(typeof model.linears)[0], unknown, (typeof model.linears)[0]];
    const x = randomTensor([2, 3, 6], 3);
    const h = randomTensor([2, 3, 10], 4);
    const lqv = Array.from(lq.dataSync(), (v) => v + 1);
    const ldv = Array.from(ld.dataSync(), (v) => v + 1);
    // host reference: W [in, out] row-major
    const ref = (
      xv: Float32Array,
      w: Float32Array,
      b: Float32Array | null,
      inF: number,
      outF: number,
      sIn: number[] | null,
      sOut: number[] | null,
    ) => {
      const rows = xv.length / inF;
      const out = new Float32Array(rows * outF);
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < outF; o++) {
          let acc = b ? b[o]! : 0;
          for (let i = 0; i < inF; i++) acc += xv[r * inF + i]! * (sIn ? sIn[i]! : 1) * w[i * outF + o]!;
          out[r * outF + o] = acc * (sOut ? sOut[o]! : 1);
        }
      return out;
    };
    const qOut = hostValues(() => ql.apply(x));
    expect(
      maxDiff(
        qOut,
        ref(
          x.dataSync() as Float32Array,
          ql.weight.dataSync() as Float32Array,
          ql.bias!.dataSync() as Float32Array,
          6,
          6,
          null,
          lqv,
        ),
      ),
    ).toBeLessThan(1e-5);
    const dOut = hostValues(() => dl.apply(h));
    expect(
      maxDiff(
        dOut,
        ref(h.dataSync() as Float32Array, dl.weight.dataSync() as Float32Array, null, 10, 6, ldv, null),
      ),
    ).toBeLessThan(1e-5);
    tf.dispose([lq, ld, x, h]);
  });

  it('counts one scalar per scaled feature (%Param)', () => {
    const report = injectAdapters(model, config).parameterCount();
    expect(report.perModule).toEqual([
      { module: Q, parameters: 6 },
      { module: DOWN, parameters: 10 },
    ]);
    const base = model.linears.reduce((n, l) => n + l.weight.size + (l.bias?.size ?? 0), 0);
    expect(report.trainable).toBe(16);
    expect(report.percent).toBeCloseTo((100 * 16) / base, 10);
  });

  it("saves PEFT's IA3 layout: config keys, `ia3_l` names, [out, 1] and [1, in]", async () => {
    const handle = injectAdapters(model, config);
    tf.tidy(() => {
      for (const v of handle.trainableVariables()) v.assign(tf.add(v, randomTensor(v.shape, 7, 0.3)));
    });
    await saveAdapter(model, dir);
    const json = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(json).toEqual({
      auto_mapping: null,
      base_model_name_or_path: null,
      fan_in_fan_out: false,
      feedforward_modules: ['down_proj'],
      inference_mode: true,
      init_ia3_weights: true,
      modules_to_save: null,
      peft_type: 'IA3',
      revision: null,
      target_modules: ['q_proj', 'down_proj'],
      task_type: 'CAUSAL_LM',
    });
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'adapter_model.safetensors')));
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      [`base_model.model.${Q}.ia3_l`]: [6, 1],
      [`base_model.model.${DOWN}.ia3_l`]: [1, 10],
    });
    const q = handle.moduleLayers().get(Q) as Ia3Layer;
    expect(maxDiff(tensors[`base_model.model.${Q}.ia3_l`]!.data, q.scale.dataSync())).toBe(0);
  });

  it('loads a config as PEFT writes it (extra PEFT keys, no hydralora keys)', async () => {
    injectAdapters(model, config);
    await saveAdapter(model, dir);
    AdapterModel.of(model).dispose();
    const path = join(dir, 'adapter_config.json');
    const json = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(
      path,
      JSON.stringify({ ...json, peft_version: '0.17.0', layers_pattern: null, layers_to_transform: null }),
    );
    const warnings: string[] = [];
    const loaded = await loadAdapter(model, dir, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(loaded.config().method).toBe('ia3');
    expect(loaded.config().feedforward_modules).toEqual(['down_proj']);
  });

  it('errors name the field: feed-forward modules outside the targets; an unmergeable 0 in l', () => {
    expect(() =>
      injectAdapters(model, {
        method: 'ia3',
        target_modules: ['q_proj'],
        feedforward_modules: ['down_proj'],
      }),
    ).toThrow(
      `adapter config: field 'feedforward_modules' = ["down_proj"] must be a subset of 'target_modules' = ["q_proj"] (not targeted: down_proj)`,
    );
    const handle = injectAdapters(model, { method: 'ia3', target_modules: ['q_proj', 'up_proj'] });
    const before = model.linears.map((l) => Float32Array.from(l.weight.dataSync()));
    const up = handle.moduleLayers().get(UP) as Ia3Layer;
    tf.tidy(() => up.scale.assign(tf.zeros(up.scale.shape)));
    expect(() => handle.merge()).toThrow(`${UP}: ia3_l[0] is 0: merging it could not be undone`);
    expect(handle.merged).toBe(false);
    model.linears.forEach((l, i) => expect(maxDiff(l.weight.dataSync(), before[i]!)).toBeLessThan(1e-6));
  });
});
