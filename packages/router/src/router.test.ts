import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { importanceLoss, loadBalanceLoss, routerZLoss } from './aux-losses.js';
import { createRouterRegistry, routerRegistry } from './registry.js';
import { Router, routeLayout } from './router.js';
import { denseRouter } from './strategies/dense.js';
import { RoutingTelemetry, routingMutualInformation } from './telemetry.js';

beforeAll(async () => {
  await initBackend();
});

function softmaxRef(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Host reference: features [T, d] · gate [d, N]. */
function logitsRef(x: number[][], g: number[][]): number[][] {
  return x.map((row) => g[0]!.map((_, j) => row.reduce((acc, v, i) => acc + v * g[i]![j]!, 0)));
}

function closeTo(actual: ArrayLike<number>, expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs((actual[i] ?? Number.NaN) - expected[i]!)).toBeLessThan(tol);
}

const X = [
  [0.5, -1.0, 2.0],
  [1.5, 0.25, -0.5],
  [-0.75, 0.5, 0.1],
  [0.2, 0.3, -1.2],
];

describe('strategies', () => {
  it('dense is the softmax of x·W_g per token', async () => {
    const router = new Router({ numHeads: 3, inFeatures: 3, seed: 1 });
    const g = (await router.gate!.array()) as number[][];
    const w = tf.tidy(() => router.route(tf.tensor2d(X), { batch: 4, seq: 1 }));
    const expected = logitsRef(X, g).flatMap(softmaxRef);
    closeTo(await w.data(), expected);
    w.dispose();
    router.dispose();
  });

  it('top-k keeps the k largest and renormalises; k = N equals dense; k = 1 is one-hot', async () => {
    const logits = [
      [1, 3, 2, 0],
      [0.5, -1, 4, 2],
    ];
    const at = (k: number) =>
      tf.tidy(() =>
        routerRegistry.get('top-k').weights({ logits: tf.tensor2d(logits), numHeads: 4, rows: 2, topK: k }),
      );
    const k2 = at(2);
    const ref2 = logits.flatMap((row) => {
      const sorted = [...row].sort((a, b) => b - a);
      const kept = row.map((v) => (v >= sorted[1]! ? Math.exp(v) : 0));
      const s = kept.reduce((a, b) => a + b, 0);
      return kept.map((v) => v / s);
    });
    closeTo(await k2.data(), ref2);
    const k4 = at(4);
    closeTo(await k4.data(), logits.flatMap(softmaxRef));
    const k1 = at(1);
    closeTo(await k1.data(), [0, 1, 0, 0, 0, 0, 1, 0]);
    tf.dispose([k1, k2, k4]);
    expect(() => at(5)).toThrow(/router_top_k must be an integer in \[1, 4\], got 5/);
  });

  it('uniform gives 1/N and creates no gate', async () => {
    const router = new Router({ strategy: 'uniform', numHeads: 4, inFeatures: 3 });
    expect(router.gate).toBeNull();
    const w = tf.tidy(() => router.route(tf.tensor2d(X), { batch: 4, seq: 1 }));
    closeTo(await w.data(), new Array(16).fill(0.25));
    w.dispose();
  });

  it('sample-level routes the masked mean of each sample and repeats it over its tokens', async () => {
    const router = new Router({ strategy: 'sample', numHeads: 2, inFeatures: 3, seed: 3 });
    const g = (await router.gate!.array()) as number[][];
    const mask = tf.tensor2d([
      [1, 1],
      [1, 0],
    ]);
    const x = tf.tensor3d([X.slice(0, 2), X.slice(2, 4)]);
    const layout = routeLayout(x.shape, { attentionMask: mask as tf.Tensor2D });
    expect(layout).toEqual({ batch: 2, seq: 2 });
    const w = tf.tidy(() =>
      router.route(tf.reshape(x, [4, 3]) as tf.Tensor2D, layout, { attentionMask: mask as tf.Tensor2D }),
    );
    const mean0 = X[0]!.map((v, i) => (v + X[1]![i]!) / 2);
    const mean1 = X[2]!; // the padded token X[3] does not count
    const [w0, w1] = logitsRef([mean0, mean1], g).map(softmaxRef);
    closeTo(await w.data(), [...w0!, ...w0!, ...w1!, ...w1!]);
    tf.dispose([w, mask, x]);
    router.dispose();
  });

  it('task-conditioned is the one-hot of the given component, with named errors', async () => {
    const router = new Router({ strategy: 'task', numHeads: 3, inFeatures: 3 });
    const features = tf.tensor2d(X);
    const w = tf.tidy(() =>
      router.route(features, { batch: 2, seq: 2 }, { componentIds: Int32Array.from([2, 0]) }),
    );
    closeTo(await w.data(), [0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0]);
    expect(() => tf.tidy(() => router.route(features, { batch: 2, seq: 2 }))).toThrow(
      /componentIds is required/,
    );
    expect(() =>
      tf.tidy(() => router.route(features, { batch: 2, seq: 2 }, { componentIds: Int32Array.from([3, 0]) })),
    ).toThrow(/contains 3, expected an integer in \[0, 3\)/);
    tf.dispose([w, features]);
  });
});

describe('auxiliary losses (closed forms)', () => {
  it('load balance: 1 (= k) for balanced routing, N for collapsed routing', async () => {
    // Each head is the top-1 of one row and the mean probabilities are 1/3: 3·Σ(1/3·1/3) = 1.
    const balanced = tf.tensor2d([
      [0.5, 0.3, 0.2],
      [0.2, 0.5, 0.3],
      [0.3, 0.2, 0.5],
    ]);
    const collapsed = tf.tensor2d(new Array(6).fill([1, 0, 0]));
    expect((await loadBalanceLoss(collapsed, 1).data())[0]).toBeCloseTo(3, 5);
    expect((await loadBalanceLoss(balanced, 1).data())[0]).toBeCloseTo(1, 5);
    // top-2: shares (2/3 each), mean probs 1/3 → 3·Σ(2/3·1/3) = 2 = k.
    expect((await loadBalanceLoss(balanced, 2).data())[0]).toBeCloseTo(2, 5);
    // Masking the last two rows: share (1,0,0), mean prob of head 0 = 0.5 → 3·0.5 = 1.5.
    expect((await loadBalanceLoss(balanced, 1, tf.tensor1d([1, 0, 0])).data())[0]).toBeCloseTo(1.5, 5);
    tf.dispose([balanced, collapsed]);
  });

  it('importance cv² matches var/mean² with the unbiased variance', async () => {
    const w = tf.tensor2d([
      [0.7, 0.2, 0.1],
      [0.6, 0.3, 0.1],
    ]);
    const imp = [1.3, 0.5, 0.2];
    const mean = imp.reduce((a, b) => a + b) / 3;
    const variance = imp.reduce((a, v) => a + (v - mean) ** 2, 0) / 2;
    expect((await importanceLoss(w).data())[0]).toBeCloseTo(variance / mean ** 2, 5);
    const masked = await importanceLoss(w, tf.tensor1d([1, 0])).data();
    const imp1 = [0.7, 0.2, 0.1];
    const var1 = imp1.reduce((a, v) => a + (v - 1 / 3) ** 2, 0) / 2;
    expect(masked[0]).toBeCloseTo(var1 / (1 / 3) ** 2, 5);
    w.dispose();
  });

  it('z-loss is the mean squared logsumexp', async () => {
    const logits = [
      [1, 2],
      [0, -1],
    ];
    const lse = logits.map((r) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0)));
    const z = routerZLoss(tf.tensor2d(logits));
    expect((await z.data())[0]).toBeCloseTo((lse[0]! ** 2 + lse[1]! ** 2) / 2, 5);
  });

  it("go to the pass's collector only in training with a non-zero coefficient, and are differentiable", async () => {
    const off = new Router({ numHeads: 2, inFeatures: 3, seed: 2 });
    const offLosses: tf.Scalar[] = [];
    tf.tidy(() => off.route(tf.tensor2d(X), { batch: 4, seq: 1 }, { training: true, auxLosses: offLosses }));
    expect(offLosses).toHaveLength(0);
    const on = new Router({ numHeads: 2, inFeatures: 3, seed: 2, aux: { zLoss: 0.5 } });
    const inference: tf.Scalar[] = [];
    tf.tidy(() => on.route(tf.tensor2d(X), { batch: 4, seq: 1 }, { auxLosses: inference }));
    expect(inference).toHaveLength(0);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const auxLosses: tf.Scalar[] = [];
      on.route(tf.tensor2d(X), { batch: 4, seq: 1 }, { training: true, auxLosses });
      expect(auxLosses).toHaveLength(1);
      return auxLosses[0]!;
    }, [on.gate!]);
    const g = (await on.gate!.array()) as number[][];
    const lse = logitsRef(X, g).map((r) => Math.log(r.reduce((a, v) => a + Math.exp(v), 0)));
    expect((await value.data())[0]).toBeCloseTo((0.5 * lse.reduce((a, v) => a + v * v, 0)) / 4, 4);
    expect(Math.abs((await grads[on.gate!.name]!.data())[0]!)).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    off.dispose();
    on.dispose();
  });
});

describe('telemetry and registry', () => {
  it('routingMutualInformation: closed forms', () => {
    // the same usage for every component: 0
    expect(routingMutualInformation({ 0: [0.3, 0.7], 1: [0.3, 0.7] }, { 0: 5, 1: 9 })).toBeCloseTo(0, 15);
    // 3 components, one-hot on 3 heads, equal rows: ln 3
    const eye = { 0: [1, 0, 0], 1: [0, 1, 0], 2: [0, 0, 1] };
    expect(routingMutualInformation(eye, { 0: 2, 1: 2, 2: 2 })).toBeCloseTo(Math.log(3), 12);
    // p(c) = (1/4, 3/4), one-hot: I = H(C) = −¼ln¼ − ¾ln¾
    expect(routingMutualInformation({ 0: [1, 0], 1: [0, 1] }, { 0: 1, 1: 3 })).toBeCloseTo(
      -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)),
      12,
    );
    // c0 → (½, ½), c1 → (1, 0), equal rows: p(h) = (¾, ¼);
    // I = ½[½ln(½/¾) + ½ln(½/¼)] + ½[ln(1/¾)]
    const expected =
      0.5 * (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25)) + 0.5 * Math.log(1 / 0.75);
    expect(routingMutualInformation({ 0: [0.5, 0.5], 1: [1, 0] }, { 0: 4, 1: 4 })).toBeCloseTo(expected, 12);
    expect(routingMutualInformation({}, {})).toBeNaN();
  });

  it('records mean ω, entropy (ln N for uniform) and usage per component', () => {
    const router = new Router({ strategy: 'task', numHeads: 2, inFeatures: 3 });
    router.telemetryEnabled = true;
    tf.tidy(() =>
      router.route(tf.tensor2d(X), { batch: 2, seq: 2 }, { componentIds: Int32Array.from([1, 0]) }),
    );
    const snap = router.telemetry.snapshot();
    expect(snap.rows).toBe(2);
    expect(snap.meanWeight).toEqual([0.5, 0.5]);
    expect(snap.entropy).toBe(0);
    expect(snap.usageByComponent).toEqual({ 0: [1, 0], 1: [0, 1] });
    expect(snap.rowsByComponent).toEqual({ 0: 1, 1: 1 });
    // each component on its own head: I(head; component) = H(component) = ln 2
    expect(snap.mutualInformation).toBeCloseTo(Math.log(2), 12);
    const u = new Router({ strategy: 'uniform', numHeads: 4, inFeatures: 3 });
    u.telemetryEnabled = true;
    const mask = tf.tensor2d([[1, 1, 1, 0]]);
    tf.tidy(() => u.route(tf.tensor2d(X), { batch: 1, seq: 4 }, { attentionMask: mask as tf.Tensor2D }));
    expect(u.telemetry.snapshot().rows).toBe(3);
    expect(u.telemetry.snapshot().entropy).toBeCloseTo(Math.log(4), 6);
    mask.dispose();
  });

  it('telemetry reads nothing back while routing; the snapshot equals host accumulation', () => {
    const router = new Router({ strategy: 'dense', numHeads: 3, inFeatures: 3, seed: 5 });
    router.telemetryEnabled = true;
    const mask = tf.tensor2d([[1, 1, 0, 1]]);
    const host = new RoutingTelemetry(3);
    const reads = vi.spyOn(tf.Tensor.prototype, 'dataSync');
    const before = tf.memory().numTensors;
    for (const ids of [[2], [0]]) {
      const w = tf.tidy(() =>
        router.route(
          tf.tensor2d(X),
          { batch: 1, seq: 4 },
          {
            attentionMask: mask as tf.Tensor2D,
            componentIds: Int32Array.from(ids),
          },
        ),
      );
      expect(reads).not.toHaveBeenCalled();
      const values = w.arraySync().flat();
      reads.mockClear();
      host.record(
        Float32Array.from(values),
        Float32Array.from([1, 1, 0, 1]),
        new Int32Array(4).fill(ids[0]!),
      );
      w.dispose();
    }
    // the running sums are the only tensors telemetry holds: one [3 + N] total, one per component
    expect(tf.memory().numTensors).toBe(before + 3);
    const snap = router.telemetry.snapshot();
    expect(reads).toHaveBeenCalled();
    reads.mockRestore();
    expect(tf.memory().numTensors).toBe(before);
    const ref = host.snapshot();
    expect(snap.rows).toBe(6);
    expect(snap.rows).toBe(ref.rows);
    expect(snap.entropy).toBeCloseTo(ref.entropy, 6);
    snap.meanWeight.forEach((v, i) => expect(v).toBeCloseTo(ref.meanWeight[i]!, 6));
    expect(Object.keys(snap.usageByComponent)).toEqual(['0', '2']);
    for (const c of [0, 2]) {
      snap.usageByComponent[c]!.forEach((v, i) => expect(v).toBeCloseTo(ref.usageByComponent[c]![i]!, 6));
    }
    router.telemetry.reset();
    mask.dispose();
    router.dispose();
  });

  it('throws on duplicate and unknown names', () => {
    const registry = createRouterRegistry();
    expect(registry.names()).toEqual(['dense', 'top-k', 'uniform', 'sample', 'task']);
    expect(() => registry.register(denseRouter)).toThrow(/already registered/);
    expect(() => registry.get('nope')).toThrow(/unknown router 'nope', expected one of: dense/);
  });

  it('leaks no tensors while routing', () => {
    const router = new Router({ strategy: 'top-k', numHeads: 3, inFeatures: 3, topK: 2 });
    const before = tf.memory().numTensors;
    tf.dispose(tf.tidy(() => router.route(tf.tensor2d(X), { batch: 4, seq: 1 })));
    expect(tf.memory().numTensors).toBe(before);
    router.dispose();
  });
});
