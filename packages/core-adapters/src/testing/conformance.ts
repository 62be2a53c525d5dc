/**
 * The conformance suite every adapter method runs: zero update at init, merged = unmerged,
 * save → load → same output, gradients = central finite differences, enable/disable, no leaks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type AdapterModel, injectAdapters, type MergeOptions } from '../adapter-model.js';
import type { AdapterConfigInput } from '../config.js';
import { loadAdapter, saveAdapter } from '../io/peft-files.js';
import type { ForwardContext } from '../model-types.js';
import { FakeMlpModel } from './fake-model.js';
import { hostValues, maxDiff, perturbAdapter, randomTensor } from './helpers.js';

export interface ConformanceSpec {
  /** Method name in the registry. */
  method: string;
  /** Extra config fields (num_heads, router, …). */
  config?: Partial<AdapterConfigInput>;
  /** Forward context used throughout (e.g. componentIds for split). */
  ctx?: ForwardContext;
  /**
   * Config overrides for the merge test (e.g. a uniform router) and how to merge; null for a
   * method that cannot merge (the suite then checks that merge throws).
   */
  merge: { config?: Partial<AdapterConfigInput>; options: MergeOptions } | null;
  /** Whether the adapter can be disabled (false: full fine-tuning; the suite checks that disable throws). */
  disable?: boolean;
  /** Whether the update is zero at initialisation (false for random-head inits). */
  zeroAtInit?: boolean;
}

const BATCH = 2;
const SEQ = 3;
const DIM = 6;

function build(
  spec: ConformanceSpec,
  extra: Partial<AdapterConfigInput> = {},
): { model: FakeMlpModel; handle: AdapterModel } {
  const model = new FakeMlpModel(DIM);
  const handle = injectAdapters(model, {
    method: spec.method,
    r: 2,
    lora_alpha: 4,
    target_modules: 'all-linear',
    num_heads: 3,
    ...spec.config,
    ...extra,
  } as AdapterConfigInput);
  return { model, handle };
}

function input(seed = 1): tf.Tensor {
  return randomTensor([BATCH, SEQ, DIM], seed);
}

export function describeAdapterConformance(spec: ConformanceSpec): void {
  const ctx = spec.ctx ?? {};
  describe(`conformance: ${spec.method} ${JSON.stringify(spec.config ?? {})}`, () => {
    const zero = spec.zeroAtInit !== false;
    it(
      zero ? 'adds nothing at initialisation (B = 0)' : 'starts with a non-zero update (random heads)',
      () => {
        const { model, handle } = build(spec);
        const adapted = hostValues(() => model.forward(input(), ctx));
        const plain = new FakeMlpModel(DIM);
        const base = hostValues(() => plain.forward(input(), ctx));
        if (zero) expect(maxDiff(adapted, base)).toBe(0);
        else expect(maxDiff(adapted, base)).toBeGreaterThan(1e-6);
        handle.dispose();
        model.dispose();
        plain.dispose();
      },
    );

    if (spec.disable === false) {
      it('disable throws (the base weights themselves are trained)', () => {
        const { model, handle } = build(spec);
        expect(() => handle.disable()).toThrow(/no base model to fall back to/);
        handle.dispose();
        model.dispose();
      });
    } else
      it('disable runs the base model, enable the adapter', () => {
        const { model, handle } = build(spec);
        perturbAdapter(handle);
        const adapted = hostValues(() => model.forward(input(), ctx));
        handle.disable();
        const base = hostValues(() => model.forward(input(), ctx));
        handle.enable();
        expect(maxDiff(adapted, base)).toBeGreaterThan(1e-3);
        expect(
          maxDiff(
            hostValues(() => model.forward(input(), ctx)),
            adapted,
          ),
        ).toBe(0);
        handle.dispose();
        model.dispose();
      });

    const merge = spec.merge;
    if (merge === null) {
      it('merge throws (nothing to merge)', () => {
        const { model, handle } = build(spec);
        expect(() => handle.merge()).toThrow(/nothing to merge/);
        handle.dispose();
        model.dispose();
      });
    } else
      it('merged output equals unmerged output, and unmerge restores the base', () => {
        const { model, handle } = build(spec, merge.config);
        perturbAdapter(handle);
        const base0 = model.linears.map((l) => Float32Array.from(l.weight.dataSync()));
        const bias0 = model.linears.map((l) => (l.bias ? Float32Array.from(l.bias.dataSync()) : null));
        const unmerged = hostValues(() => model.forward(input(), ctx));
        handle.merge(merge.options);
        const merged = hostValues(() => model.forward(input(), ctx));
        expect(maxDiff(merged, unmerged)).toBeLessThan(1e-5);
        handle.unmerge();
        model.linears.forEach((l, i) => expect(maxDiff(l.weight.dataSync(), base0[i]!)).toBeLessThan(1e-6));
        model.linears.forEach((l, i) => {
          if (l.bias) expect(maxDiff(l.bias.dataSync(), bias0[i]!)).toBeLessThan(1e-6);
        });
        handle.dispose();
        model.dispose();
      });

    it('save → load (into a fresh base model) gives the same output', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hydralora-conf-'));
      try {
        const { model, handle } = build(spec);
        perturbAdapter(handle);
        const before = hostValues(() => model.forward(input(), ctx));
        await saveAdapter(handle, dir);
        handle.dispose();
        model.dispose();
        const fresh = new FakeMlpModel(DIM);
        const warnings: string[] = [];
        const loaded = await loadAdapter(fresh, dir, { onWarning: (m) => warnings.push(m) });
        expect(warnings).toEqual([]);
        expect(loaded.config().method).toBe(spec.method);
        expect(
          maxDiff(
            hostValues(() => fresh.forward(input(), ctx)),
            before,
          ),
        ).toBe(0);
        loaded.dispose();
        fresh.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('gradients match central finite differences, without leaking tensors', () => {
      const { model, handle } = build(spec);
      perturbAdapter(handle, 9, 0.5);
      const x = input(3);
      const probe = randomTensor([BATCH, SEQ, 5], 4);
      const loss = () => {
        const { output, auxLoss } = model.forwardWithAux(x, { ...ctx, training: true });
        const fit = tf.sum(tf.mul(output, probe)) as tf.Scalar;
        return auxLoss ? (tf.add(fit, auxLoss) as tf.Scalar) : fit;
      };
      const vars = handle.trainableVariables();
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(loss, vars);
      const analytic = vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      const eps = 1e-2;
      vars.forEach((v, vi) => {
        const original = Float32Array.from(v.dataSync());
        for (const index of [0, Math.floor(v.size / 2), v.size - 1]) {
          const at = (delta: number) => {
            const values = Float32Array.from(original);
            values[index] = (values[index] ?? 0) + delta;
            tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
            return hostValues(loss)[0]!;
          };
          const numeric = (at(eps) - at(-eps)) / (2 * eps);
          const exact = analytic[vi]![index]!;
          expect(Math.abs(numeric - exact), `${v.name}[${index}]: fd ${numeric} vs ${exact}`).toBeLessThan(
            2e-3 + 2e-2 * Math.abs(exact),
          );
        }
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
      });
      tf.dispose([x, probe]);
      handle.dispose();
      model.dispose();
    });
  });
}
