/**
 * The conformance suite of the prompt-learning methods (prompt tuning, P-tuning, prefix tuning),
 * run on a real model with the virtual-token hook (core-adapters has no decoder of its own, so the
 * caller gives one): the virtual tokens change the output, disable/enable, merge refused, %Param,
 * save → load → same output in PEFT's layout, gradients = central finite differences, no leaks.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { injectAdapters } from '../adapter-model.js';
import type { AdapterConfigInput } from '../config.js';
import { CONFIG_FILE, loadAdapter, saveAdapter } from '../io/peft-files.js';
import { PROMPT_EMBEDDINGS } from '../io/prompt-files.js';
import { decodeSafetensors } from '../io/safetensors.js';
import type { AdaptableModel } from '../model-types.js';
import { hostValues, maxDiff } from './helpers.js';

export interface VirtualTokenConformanceSpec<M extends AdaptableModel> {
  method: string;
  /** Extra config fields (num_virtual_tokens, encoder_*, prefix_projection, …). */
  config?: Partial<AdapterConfigInput>;
  /** A fresh model with the virtual-token hook (disposed by the suite). */
  createModel: () => M & { dispose(): void };
  /** Logits of a fixed batch (inference). */
  logits: (model: M) => tf.Tensor;
  /** A scalar training loss of a fixed batch, usable inside tf.variableGrads. */
  loss: (model: M) => tf.Scalar;
  /** PEFT's `prompt_embeddings` shape for this model, and the config's token_dim / num_attention_heads. */
  expected: { savedShape: number[]; tokenDim: number; numAttentionHeads: number; numLayers: number };
  /** The finite-difference step (default 1e-2) and the variables' entries probed per variable. */
  fdStep?: number;
}

export function describeVirtualTokenConformance<M extends AdaptableModel>(
  spec: VirtualTokenConformanceSpec<M>,
): void {
  const build = () => {
    const model = spec.createModel();
    const handle = injectAdapters(model, {
      method: spec.method,
      num_virtual_tokens: 3,
      init_seed: 7,
      ...spec.config,
    } as AdapterConfigInput);
    return { model, handle };
  };
  describe(`virtual-token conformance: ${spec.method} ${JSON.stringify(spec.config ?? {})}`, () => {
    it('changes the output; disable runs the base model, enable the adapter; merge is refused', () => {
      const { model, handle } = build();
      const adapted = hostValues(() => spec.logits(model));
      handle.disable();
      expect(handle.enabled).toBe(false);
      const base = hostValues(() => spec.logits(model));
      handle.enable();
      expect(maxDiff(adapted, base)).toBeGreaterThan(1e-4);
      expect(
        maxDiff(
          hostValues(() => spec.logits(model)),
          adapted,
        ),
      ).toBe(0);
      expect(() => handle.merge()).toThrow(/adds virtual tokens; it has no weight update to merge/);
      handle.dispose();
      expect(
        maxDiff(
          hostValues(() => spec.logits(model)),
          base,
        ),
      ).toBe(0);
      model.dispose();
    });

    it('counts the trainable parameters (%Param) of the table and the encoder', () => {
      const { model, handle } = build();
      const report = handle.parameterCount();
      const vars = handle.trainableVariables();
      expect(report.trainable).toBe(vars.reduce((n, v) => n + v.size, 0));
      expect(report.perModule.map((m) => m.module)).toEqual(['prompt_encoder']);
      expect(report.percent).toBeCloseTo((100 * report.trainable) / report.base, 10);
      expect([...handle.namedVariables().keys()]).toEqual(vars.map((_, i) => `prompt_encoder#${i}`));
      handle.dispose();
      model.dispose();
    });

    it("save → load gives the same output, in PEFT's layout (prompt_embeddings only)", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hydralora-virtual-'));
      try {
        const { model, handle } = build();
        tf.tidy(() => {
          for (const v of handle.trainableVariables())
            v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.1, 'float32', 3)));
        });
        const before = hostValues(() => spec.logits(model));
        await saveAdapter(handle, dir);
        handle.dispose();
        const config = JSON.parse(await readFile(join(dir, CONFIG_FILE), 'utf8'));
        expect(config).toMatchObject({
          num_virtual_tokens: 3,
          token_dim: spec.expected.tokenDim,
          num_attention_heads: spec.expected.numAttentionHeads,
          num_layers: spec.expected.numLayers,
          num_transformer_submodules: 1,
          task_type: 'CAUSAL_LM',
          inference_mode: true,
        });
        const { tensors } = decodeSafetensors(await readFile(join(dir, 'adapter_model.safetensors')), dir);
        expect(Object.keys(tensors)).toEqual([PROMPT_EMBEDDINGS]);
        expect(tensors[PROMPT_EMBEDDINGS]!.shape).toEqual(spec.expected.savedShape);
        const warnings: string[] = [];
        const loaded = await loadAdapter(model, dir, { onWarning: (m) => warnings.push(m) });
        expect(warnings).toEqual([]);
        expect(loaded.config().method).toBe(spec.method);
        expect(loaded.virtualTokens()!.hasEncoder).toBe(false);
        expect(
          maxDiff(
            hostValues(() => spec.logits(model)),
            before,
          ),
        ).toBeLessThan(1e-5);
        loaded.dispose();
        model.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('gradients match central finite differences, without leaking tensors', () => {
      const { model, handle } = build();
      const vars = handle.trainableVariables();
      const loss = () => spec.loss(model);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(loss, vars);
      const analytic = vars.map((v) => Float32Array.from(grads[v.name]!.dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      expect(tf.memory().numTensors).toBe(before);
      const eps = spec.fdStep ?? 1e-2;
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
          expect(
            Math.abs(numeric - exact),
            `variable ${vi} [${index}]: fd ${numeric} vs ${exact}`,
          ).toBeLessThan(2e-3 + 2e-2 * Math.abs(exact));
        }
        tf.tidy(() => v.assign(tf.tensor(original, v.shape)));
      });
      handle.dispose();
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
      model.dispose();
    });
  });
}
