import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdapterModel, injectAdapters } from './adapter-model.js';
import { nearestCentroidInferrer } from './layer/adapter-layer.js';
import { FakeMlpModel } from './testing/fake-model.js';
import { hostValues, maxDiff, perturbAdapter, randomTensor } from './testing/helpers.js';

let model: FakeMlpModel;
beforeAll(async () => {
  await initBackend();
});
beforeEach(() => {
  model = new FakeMlpModel();
});
afterEach(() => {
  AdapterModel.of(model).dispose();
  model.dispose();
});

const x = () => randomTensor([2, 3, 6], 7);

describe('several named adapters', () => {
  it('switches the active adapter, and deleting all restores the base model', () => {
    const base = hostValues(() => model.forward(x()));
    const handle = injectAdapters(model, { r: 2, target_modules: ['q_proj'] }, 'a');
    perturbAdapter(handle, 1);
    const outA = hostValues(() => model.forward(x()));
    injectAdapters(model, { method: 'hydra', r: 2, target_modules: 'all-linear', router: 'uniform' }, 'b');
    expect(handle.activeAdapter).toBe('b');
    perturbAdapter(handle, 2);
    const outB = hostValues(() => model.forward(x()));
    handle.setActiveAdapter('a');
    expect(
      maxDiff(
        hostValues(() => model.forward(x())),
        outA,
      ),
    ).toBe(0);
    expect(maxDiff(outA, outB)).toBeGreaterThan(1e-3);
    expect(handle.trainableVariables('a')).toHaveLength(2);
    expect(() => injectAdapters(model, { target_modules: ['q_proj'] }, 'a')).toThrow(/'a' already exists/);
    expect(() => handle.setActiveAdapter('c')).toThrow(/adapter 'c' does not exist; adapters: a, b/);
    handle.deleteAdapter('a');
    expect(handle.activeAdapter).toBe('b');
    handle.deleteAdapter('b');
    expect(
      maxDiff(
        hostValues(() => model.forward(x())),
        base,
      ),
    ).toBe(0);
    expect(model.linears.every((l) => l.adapter === null)).toBe(true);
  });

  it('merge needs ω for routed heads, and blocks switching while merged', () => {
    const handle = injectAdapters(model, { method: 'hydra', r: 2, num_heads: 2, target_modules: ['q_proj'] });
    expect(() => handle.merge()).toThrow(/has 2 routed heads; pass weights/);
    handle.merge({ weights: [0.25, 0.75] });
    expect(() => handle.disable()).toThrow(/unmerge before disabling/);
    handle.unmerge();
    expect(handle.merged).toBe(false);
  });
});

describe('parameter accounting', () => {
  it('counts r(in+out) for LoRA and r·in + N·r·out + N·in for HydraLoRA, as % of the base', () => {
    // Base: q 6×6+6, up 6×10+10, down 10×6, lm_head 6×5 = 202 parameters.
    const handle = injectAdapters(model, { r: 2, target_modules: 'all-linear' }, 'lora');
    const lora = handle.parameterCount();
    expect(lora.perModule.map((m) => m.parameters)).toEqual([24, 32, 32]);
    expect(lora.base).toBe(202);
    expect(lora.percent).toBeCloseTo((100 * 88) / 202, 10);
    expect(lora.warnings).toEqual([]);
    const warned: string[] = [];
    injectAdapters(model, { method: 'hydra', r: 2, num_heads: 3, target_modules: 'all-linear' }, 'hydra', {
      onWarning: (m) => warned.push(m),
    });
    expect(handle.parameterCount('hydra').perModule.map((m) => m.parameters)).toEqual([66, 90, 86]);
    // 242 trainable against a 202-parameter base: named when the adapter is added, and in the report
    expect(warned).toEqual([
      "adapter 'hydra' has 242 trainable parameters, 1.2× the base model's 202 (3 adapted module(s)): check the number of heads and the rank",
    ]);
    expect(handle.parameterCount('hydra').warnings).toEqual(warned);
    injectAdapters(model, { r: 2, target_modules: 'all-linear', rank_pattern: { up_proj: 4 } }, 'pattern');
    expect(handle.parameterCount('pattern').trainable).toBe(24 + 64 + 32);
  });
});

describe('absurd sizes warn', () => {
  it('--heads 1000 on a small model: the warning names the numbers (and goes to console.warn by default)', () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      injectAdapters(model, { method: 'hydra', r: 2, num_heads: 1000, target_modules: ['q_proj'] }, 'huge');
      // r·in + N·r·out + N·in = 12 + 12000 + 6000 on q_proj (6×6)
      expect(spy.mock.calls).toEqual([
        [
          "warning: adapter 'huge' has 18,012 trainable parameters, 89.2× the base model's 202 (1 adapted module(s)): check the number of heads and the rank",
        ],
      ]);
    } finally {
      spy.mockRestore();
      AdapterModel.of(model).deleteAdapter('huge');
    }
  });
});

describe('routing telemetry, aux losses and split inference', () => {
  it("reports head usage per component and returns aux losses on the forward's result in training only", () => {
    const handle = injectAdapters(model, {
      method: 'hydra',
      r: 2,
      num_heads: 2,
      router: 'task',
      target_modules: ['q_proj'],
      router_aux: { importance: 1 },
    });
    handle.setTelemetry(true);
    const ctx = { componentIds: Int32Array.from([1, 0]) };
    tf.tidy(() => {
      expect(model.forwardWithAux(x(), ctx).auxLoss).toBeNull();
      // importance = (3, 3) per head over 6 tokens → cv² = 0 (one loss per routed layer: q_proj).
      const { auxLoss } = model.forwardWithAux(x(), { ...ctx, training: true });
      expect(auxLoss!.dataSync()[0]).toBeCloseTo(0, 6);
    });
    const snap = handle.telemetry()['model.layers.0.self_attn.q_proj']!;
    expect(snap.usageByComponent).toEqual({ 0: [1, 0], 1: [0, 1] });
    expect(snap.meanWeight).toEqual([0.5, 0.5]);
  });

  it('HydraLoRA fuses the dense softmax into its mixing unless ω is observed: same outputs and gradients', async () => {
    for (const dropout of [0, 0.2]) {
      const name = `fused-${dropout}`;
      const handle = injectAdapters(
        model,
        { method: 'hydra', r: 2, num_heads: 3, lora_dropout: dropout, target_modules: 'all-linear' },
        name,
      );
      perturbAdapter(handle, 7, 0.5);
      const vars = handle.trainableVariables(name);
      const ctx = { training: true, dropoutSeed: 11 };
      let out: Float32Array[] = [];
      const run = async () => {
        const info = await tf.profile(() => {
          out = tf.tidy(() => {
            const input = randomTensor([2, 3, 6], 3);
            const { value, grads } = tf.variableGrads(() => {
              const y = model.forward(input, ctx);
              return tf.sum(tf.mul(y, randomTensor(y.shape, 4))) as tf.Scalar;
            }, vars);
            return [value, ...vars.map((v) => grads[v.name]!)].map((t) => Float32Array.from(t.dataSync()));
          });
        });
        // no dropout: on the packed x·[A | W_g]; with dropout: on A·dropout(x) and W_g·x
        const fusedName = dropout === 0 ? 'HydraRouteSoftmaxMixPacked' : 'HydraRouteSoftmaxMix';
        return { out, fusedKernels: info.kernels.filter((k) => k.name === fusedName).length };
      };
      const fused = await run(); // telemetry off: routeSoftmaxMix, one per adapted linear
      handle.setTelemetry(true);
      const observed = await run(); // telemetry on: the router's softmax, then routeMix
      handle.setTelemetry(false);
      expect(fused.fusedKernels).toBe(3);
      expect(observed.fusedKernels).toBe(0);
      expect(fused.out.length).toBe(vars.length + 1);
      fused.out.forEach((f, i) => {
        expect(maxDiff(f, observed.out[i]!), `output ${i}, dropout ${dropout}`).toBeLessThan(1e-5);
        // every parameter, the gates included, gets a gradient
        expect(Math.max(...Array.from(f, Math.abs)), `output ${i}`).toBeGreaterThan(0);
      });
      handle.deleteAdapter(name);
    }
  });

  it('LoRA-Split: hard routing by component; a nearest-centroid inferrer reproduces given ids', () => {
    const handle = injectAdapters(model, { method: 'split', r: 2, num_heads: 2, target_modules: ['q_proj'] });
    perturbAdapter(handle, 4, 1);
    const input = tf.concat([tf.fill([1, 3, 6], 1), tf.fill([1, 3, 6], -1)]);
    const given = hostValues(() => model.forward(input, { componentIds: Int32Array.from([1, 0]) }));
    const swapped = hostValues(() => model.forward(input, { componentIds: Int32Array.from([0, 1]) }));
    expect(maxDiff(given, swapped)).toBeGreaterThan(1e-3);
    expect(() => tf.tidy(() => model.forward(input))).toThrow(/componentIds is required/);
    handle.setComponentInferrer(nearestCentroidInferrer([new Array(6).fill(-1), new Array(6).fill(1)]));
    expect(
      maxDiff(
        hostValues(() => model.forward(input)),
        given,
      ),
    ).toBe(0);
    input.dispose();
  });

  it('LoRA-Split with split_router learns to pick the component at inference', () => {
    const handle = injectAdapters(model, {
      method: 'split',
      r: 2,
      num_heads: 2,
      split_router: true,
      target_modules: ['q_proj'],
    });
    perturbAdapter(handle, 4, 1);
    const gate = handle.layers().get('model.layers.0.self_attn.q_proj')!.componentGate!.gate!;
    const input = tf.concat([tf.fill([1, 3, 6], 1), tf.fill([1, 3, 6], -1)]);
    const ctx = { componentIds: Int32Array.from([1, 0]), training: true };
    const given = hostValues(() => model.forward(input, { componentIds: ctx.componentIds }));
    const losses: number[] = [];
    for (let step = 0; step < 20; step++) {
      const { value, grads } = tf.variableGrads(() => {
        return model.forwardWithAux(input, ctx).auxLoss!;
      }, [gate]);
      losses.push(value.dataSync()[0]!);
      tf.tidy(() => gate.assign(tf.sub(gate, tf.mul(grads[gate.name]!, 0.5))));
      tf.dispose([value, ...Object.values(grads)]);
    }
    // Cross-entropy of a 2-way softmax starts near ln 2 and must fall as the gate separates them.
    expect(losses[19]!).toBeLessThan(losses[0]!);
    expect(losses[19]!).toBeLessThan(0.1);
    expect(
      maxDiff(
        hostValues(() => model.forward(input)),
        given,
      ),
    ).toBe(0);
    input.dispose();
  });
});
