import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  clipByGlobalNorm,
  cosineWithWarmup,
  getSchedule,
  linearWithWarmup,
  registerSchedule,
  scheduleNames,
} from './optim.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** AdamW in float64 plain JS, written from the paper's Algorithm 2 (decoupled decay). */
function referenceAdamW(
  p0: number[],
  grads: number[][],
  lrs: number[],
  b1: number,
  b2: number,
  eps: number,
  wd: number,
): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, t) => {
    const lr = lrs[t]!;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mh = m[i]! / (1 - b1 ** (t + 1));
      const vh = v[i]! / (1 - b2 ** (t + 1));
      p[i] = p[i]! * (1 - lr * wd) - (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

describe('AdamW', () => {
  it('matches a float64 reference over several steps, with weight decay', () => {
    const before = tf.memory().numTensors;
    const p0 = [0.5, -1.25, 2, 0.01];
    const grads = [
      [0.1, -0.2, 0.3, 0.0],
      [0.05, 0.4, -0.1, 1.0],
      [-0.3, 0.1, 0.2, -0.5],
    ];
    const lrs = [0.01, 0.02, 0.005];
    const w = tf.tidy(() => tf.variable(tf.tensor1d(p0)));
    const opt = new AdamW(new Map([['w', w]]), { lr: 0.01, weightDecay: 0.1 });
    grads.forEach((g, t) => {
      const gt = tf.tensor1d(g);
      opt.apply(new Map([['w', gt]]), lrs[t]!);
      gt.dispose();
    });
    const expected = referenceAdamW(p0, grads, lrs, 0.9, 0.999, 1e-8, 0.1);
    const got = Array.from(w.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 6));
    opt.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('restores its state exactly (resume gives the same trajectory)', () => {
    const mk = () => tf.variable(tf.tensor1d([1, 2, 3]));
    const g = () => tf.tensor1d([0.3, -0.1, 0.7]);
    const a = mk();
    const optA = new AdamW(new Map([['a', a]]), { lr: 0.1 });
    for (let i = 0; i < 4; i++) tf.tidy(() => optA.apply(new Map([['a', g()]]), 0.1));
    const b = tf.variable(tf.tensor1d(Array.from(a.dataSync())));
    const optB = new AdamW(new Map([['a', b]]), { lr: 0.1 });
    optB.load(optA.state());
    tf.tidy(() => optA.apply(new Map([['a', g()]]), 0.1));
    tf.tidy(() => optB.apply(new Map([['a', g()]]), 0.1));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(optB.step).toBe(5);
    for (const t of [a, b]) t.dispose();
    optA.dispose();
    optB.dispose();
  });

  it('rejects optimizer state of the wrong size, naming the parameter', () => {
    const a = tf.variable(tf.zeros([3]));
    const opt = new AdamW(new Map([['layer.weight', a]]), { lr: 1 });
    expect(() =>
      opt.load({ step: 1, m: new Map([['layer.weight', new Float32Array(2)]]), v: new Map() }),
    ).toThrow(/layer\.weight.*2 values, expected 3/);
    opt.dispose();
    a.dispose();
  });
});

describe('schedule and clipping', () => {
  it('warms up linearly, then follows the cosine closed form', () => {
    const o = { lr: 1, warmupSteps: 4, totalSteps: 104, minLr: 0.1 };
    expect(cosineWithWarmup(0, o)).toBeCloseTo(0.25);
    expect(cosineWithWarmup(3, o)).toBeCloseTo(1);
    expect(cosineWithWarmup(4, o)).toBeCloseTo(1);
    expect(cosineWithWarmup(54, o)).toBeCloseTo(0.1 + 0.45 * (1 + Math.cos(Math.PI / 2)));
    expect(cosineWithWarmup(104, o)).toBeCloseTo(0.1);
  });

  it('linear and constant schedules follow their closed forms; the registry names them', () => {
    const o = { lr: 2, warmupSteps: 2, totalSteps: 12, minLr: 0 };
    expect(linearWithWarmup(0, o)).toBeCloseTo(1);
    expect(linearWithWarmup(2, o)).toBeCloseTo(2);
    expect(linearWithWarmup(7, o)).toBeCloseTo(1);
    expect(linearWithWarmup(12, o)).toBeCloseTo(0);
    expect(getSchedule('constant')(9, o)).toBe(2);
    expect(getSchedule('constant')(0, o)).toBe(1);
    expect(scheduleNames()).toEqual(['cosine', 'linear', 'constant']);
    expect(() => getSchedule('step')).toThrow(
      /unknown schedule 'step'; expected one of: cosine, linear, constant/,
    );
    expect(() => registerSchedule('cosine', () => 0)).toThrow(/already registered/);
  });

  it('clips by the global norm', () => {
    const grads = new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 0])],
      ['b', tf.tensor1d([0, 4])],
    ]);
    const { norm, grads: clipped } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(5);
    expect(Array.from(clipped.get('a')!.dataSync())[0]).toBeCloseTo(0.6, 5);
    expect(Array.from(clipped.get('b')!.dataSync())[1]).toBeCloseTo(0.8, 5);
    for (const t of clipped.values()) t.dispose();
  });
});
