/** Cross-method identities that pin the maths down: each side is computed by a different method. */
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AdapterModel, injectAdapters } from '../adapter-model.js';
import type { AdapterConfigInput } from '../config.js';
import { FakeMlpModel } from '../testing/fake-model.js';
import { hostValues, maxDiff, perturbAdapter, randomTensor } from '../testing/helpers.js';

beforeAll(async () => {
  await initBackend();
});

const owned: { model: FakeMlpModel; handle: AdapterModel }[] = [];
afterEach(() => {
  for (const { model, handle } of owned.splice(0)) {
    handle.dispose();
    model.dispose();
  }
});

function build(
  config: Partial<AdapterConfigInput>,
  targets: AdapterConfigInput['target_modules'] = 'all-linear',
) {
  const model = new FakeMlpModel();
  const handle = injectAdapters(model, {
    r: 2,
    lora_alpha: 6,
    target_modules: targets,
    ...config,
  } as AdapterConfigInput);
  owned.push({ model, handle });
  return { model, handle };
}

/** Copy A[0]/B values (or the mean of B heads, when `meanB`) from `from`'s layers into `to`'s. */
function copyInto(from: AdapterModel, to: AdapterModel, meanB = false): void {
  for (const [module, target] of to.layers()) {
    const source = from.layers().get(module)!;
    tf.tidy(() => {
      const heads = (count: number, take: (i: number) => tf.Tensor2D, last: number) =>
        Array.from({ length: count }, (_, i) => take(Math.min(i, last)));
      const { numA, numB } = target.shape;
      target.aCat.assign(
        tf.concat(
          heads(numA, (i) => source.headA(i), source.shape.numA - 1),
          1,
        ),
      );
      const sourceHeads = heads(source.shape.numB, (i) => source.headB(i), source.shape.numB - 1);
      if (meanB) target.bCat.assign(tf.mean(tf.stack(sourceHeads), 0));
      else
        target.bCat.assign(
          tf.concat(
            heads(numB, (i) => source.headB(i), source.shape.numB - 1),
            0,
          ),
        );
      if (target.router?.gate && source.router?.gate) target.router.gate.assign(source.router.gate);
    });
  }
}

const x = () => randomTensor([2, 4, 6], 21);
const ctx = { componentIds: Int32Array.from([0, 0]) };

describe('identities between methods', () => {
  it.each([
    ['hydra', 1],
    ['split', 1],
    ['lora-moe', 1],
    ['inverted-hydra', 1],
  ])('%s with N = %i equals LoRA with the same A and B', (method, n) => {
    const lora = build({ method: 'lora' });
    perturbAdapter(lora.handle);
    const other = build({ method, num_heads: n });
    copyInto(lora.handle, other.handle);
    const expected = hostValues(() => lora.model.forward(x(), ctx));
    const actual = hostValues(() => other.model.forward(x(), ctx));
    expect(maxDiff(actual, expected)).toBeLessThan(1e-5);
    lora.handle.disable();
    expect(
      maxDiff(
        hostValues(() => lora.model.forward(x(), ctx)),
        expected,
      ),
    ).toBeGreaterThan(1e-3);
  });

  it('HydraLoRA with N heads and the uniform router equals LoRA with B = mean of the heads', () => {
    const hydra = build({ method: 'hydra', num_heads: 4, router: 'uniform' });
    perturbAdapter(hydra.handle);
    const lora = build({ method: 'lora' });
    copyInto(hydra.handle, lora.handle, true);
    expect(
      maxDiff(
        hostValues(() => hydra.model.forward(x())),
        hostValues(() => lora.model.forward(x())),
      ),
    ).toBeLessThan(1e-5);
  });

  it('top-k with k = N equals dense routing', () => {
    const dense = build({ method: 'hydra', num_heads: 3 });
    perturbAdapter(dense.handle, 3, 1);
    const topk = build({ method: 'hydra', num_heads: 3, router: 'top-k', router_top_k: 3 });
    copyInto(dense.handle, topk.handle);
    expect(
      maxDiff(
        hostValues(() => dense.model.forward(x())),
        hostValues(() => topk.model.forward(x())),
      ),
    ).toBeLessThan(1e-6);
    const k1 = build({ method: 'hydra', num_heads: 3, router: 'top-k', router_top_k: 1 });
    copyInto(dense.handle, k1.handle);
    expect(
      maxDiff(
        hostValues(() => dense.model.forward(x())),
        hostValues(() => k1.model.forward(x())),
      ),
    ).toBeGreaterThan(1e-4);
  });

  it('sample-level routing merges exactly per sample with that sample’s ω', () => {
    const { model, handle } = build({ method: 'hydra', num_heads: 3, router: 'sample' }, ['q_proj']);
    perturbAdapter(handle, 8, 1);
    const sample = randomTensor([1, 5, 6], 33);
    const unmerged = hostValues(() => model.forward(sample));
    const layer = handle.layers().get('model.layers.0.self_attn.q_proj')!;
    const omega = layer.sampleWeights(sample);
    const weights = Array.from(omega.dataSync());
    omega.dispose();
    expect(weights.reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    handle.merge({ weights });
    expect(
      maxDiff(
        hostValues(() => model.forward(sample)),
        unmerged,
      ),
    ).toBeLessThan(1e-5);
    handle.unmerge();
    sample.dispose();
  });

  it('head-diversity init: heads differ, sum to zero, so the uniform router adds nothing', () => {
    const { model, handle } = build({ method: 'hydra-diverse', num_heads: 3, router: 'uniform' });
    const layer = [...handle.layers().values()][0]!;
    const heads = [0, 1, 2].map((i) => hostValues(() => layer.headB(i)));
    expect(maxDiff(heads[0]!, heads[1]!)).toBeGreaterThan(1e-3);
    const sum = heads[0]!.map((v, i) => v + heads[1]![i]! + heads[2]![i]!);
    expect(maxDiff(sum, new Float32Array(sum.length))).toBeLessThan(1e-6);
    const adapted = hostValues(() => model.forward(x()));
    handle.disable();
    expect(
      maxDiff(
        adapted,
        hostValues(() => model.forward(x())),
      ),
    ).toBeLessThan(1e-6);
  });
});
