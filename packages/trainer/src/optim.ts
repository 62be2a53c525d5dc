/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter 2019) over named tf.Variables, with state that
 * can be saved and restored exactly (for `--resume`), a cosine learning-rate schedule with linear
 * warmup, and clipping by global norm. tfjs's own Adam has no decoupled weight decay and no
 * serialisable state, hence this small implementation.
 */
import { adamwStep, sumOfSquares } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    options: AdamWOptions,
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    for (const [name, p] of params) {
      // Inside tidy: the zeros are disposed, the variables (never tracked by tidy) are kept.
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
    }
  }

  /**
   * One update with learning rate `lr`; `grads` maps parameter names to gradients, each multiplied
   * by `gradScale` first (a clipping factor: see {@link gradientClipScale}). One fused kernel per
   * parameter on wasm and cpu (`adamwStep`).
   */
  apply(grads: Map<string, tf.Tensor> | Record<string, tf.Tensor>, lr: number, gradScale = 1): void {
    const g = grads instanceof Map ? grads : new Map(Object.entries(grads));
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this;
    const attrs = {
      beta1,
      beta2,
      eps,
      lr,
      weightDecay,
      gradScale,
      c1: 1 - beta1 ** this.step,
      c2: 1 - beta2 ** this.step,
    };
    for (const [name, p] of this.params) {
      const grad = g.get(name);
      if (!grad) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      const [p1, m1, v1] = adamwStep(p, m, v, grad, attrs);
      m.assign(m1);
      v.assign(v1);
      p.assign(p1);
      tf.dispose([p1, m1, v1]);
    }
  }

  state(): AdamWState {
    const read = (src: Map<string, tf.Variable>) =>
      new Map([...src].map(([k, t]) => [k, t.dataSync() as Float32Array] as const));
    return { step: this.step, m: read(this.m), v: read(this.v) };
  }

  load(state: AdamWState): void {
    this.step = state.step;
    for (const [src, dst] of [
      [state.m, this.m],
      [state.v, this.v],
    ] as const) {
      for (const [name, variable] of dst) {
        const values = src.get(name);
        if (!values) throw new Error(`optimizer state has no entry for parameter '${name}'`);
        if (values.length !== variable.size) {
          throw new Error(
            `optimizer state for '${name}' has ${values.length} values, expected ${variable.size}`,
          );
        }
        tf.tidy(() => variable.assign(tf.tensor(values, variable.shape)));
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** Linear warmup to `lr`, then cosine decay to `minLr` at `totalSteps` (step is 0-based). */
export function cosineWithWarmup(step: number, opts: ScheduleOptions): number {
  const { lr, warmupSteps, totalSteps, minLr = 0 } = opts;
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** Linear warmup to `lr`, then a linear decay to `minLr` at `totalSteps`. */
export function linearWithWarmup(step: number, opts: ScheduleOptions): number {
  const { lr, warmupSteps, totalSteps, minLr = 0 } = opts;
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return lr - (lr - minLr) * progress;
}

/** Linear warmup to `lr`, then `lr`. */
export function constantWithWarmup(step: number, opts: ScheduleOptions): number {
  const { lr, warmupSteps } = opts;
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  return lr;
}

export interface ScheduleOptions {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  minLr?: number;
}

/** A learning-rate schedule: the rate of 0-based `step`. */
export type Schedule = (step: number, options: ScheduleOptions) => number;

const schedules = new Map<string, Schedule>([
  ['cosine', cosineWithWarmup],
  ['linear', linearWithWarmup],
  ['constant', constantWithWarmup],
]);

/** Names of the registered schedules. */
export function scheduleNames(): string[] {
  return [...schedules.keys()];
}

/** The schedule of that name; throws listing the known names. */
export function getSchedule(name: string): Schedule {
  const schedule = schedules.get(name);
  if (!schedule)
    throw new Error(`unknown schedule '${name}'; expected one of: ${scheduleNames().join(', ')}`);
  return schedule;
}

/** Add a schedule under a new name (throws on a duplicate). */
export function registerSchedule(name: string, schedule: Schedule): void {
  if (schedules.has(name)) throw new Error(`schedule '${name}' is already registered`);
  schedules.set(name, schedule);
}

/** Scale gradients so that their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { norm: number; grads: Map<string, tf.Tensor> } {
  const { norm, scale } = gradientClipScale(grads.values(), maxNorm);
  if (scale === 1) return { norm, grads };
  const out = new Map<string, tf.Tensor>();
  for (const [k, g] of grads) {
    out.set(k, tf.mul(g, scale));
    g.dispose();
  }
  return { norm, grads: out };
}

/**
 * The global norm of `grads` and the factor that clips it to `maxNorm` (1 when it is within, when
 * `maxNorm` ≤ 0, or when the norm is not finite), for {@link AdamW.apply}'s `gradScale`: clipping
 * without a scaled copy of every gradient.
 */
export function gradientClipScale(
  grads: Iterable<tf.Tensor>,
  maxNorm: number,
): { norm: number; scale: number } {
  const norm = Math.sqrt(sumOfSquares(grads));
  if (!(maxNorm > 0) || norm <= maxNorm || !Number.isFinite(norm)) return { norm, scale: 1 };
  return { norm, scale: maxNorm / (norm + 1e-6) };
}
