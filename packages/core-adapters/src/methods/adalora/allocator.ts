/**
 * AdaLoRA's rank allocator (PEFT's `RankAllocator`), run once per optimiser step after the
 * backward pass. Every entry w of P, Λ and Q gets an importance s = Ī·Ū, where Ī is the EMA
 * (β1) of the sensitivity I = |w·∂L/∂w| and Ū the EMA (β2) of its uncertainty |I − Ī|. A
 * triplet's score is s(Λᵢ) + mean_j s(Qᵢⱼ) + mean_j s(Pⱼᵢ); the budget (total kept triplets)
 * falls from init_r·modules to target_r·modules on a cubic schedule, and the triplets scoring at
 * or below the (init − budget)-th smallest score have Λᵢ set to 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig } from '../../config.js';
import type { HostTensor } from '../../io/safetensors.js';
import type { AdaLoraLayer } from './layer.js';

/** The schedule's inputs (PEFT's AdaLoraConfig fields). */
export interface BudgetSchedule {
  initBudget: number;
  targetBudget: number;
  tinit: number;
  tfinal: number;
  totalStep: number;
  deltaT: number;
}

/**
 * PEFT's `budget_schedule`: the budget at `step` and whether to mask there. Warm-up
 * (step ≤ tinit): everything, no mask; final phase (step > total − tfinal): the target, masked;
 * between: ⌊(init − target)·(1 − (step − tinit)/(total − tfinal − tinit))³ + target⌋, masked
 * every deltaT steps.
 */
export function budgetSchedule(step: number, s: BudgetSchedule): { budget: number; mask: boolean } {
  if (step <= s.tinit) return { budget: s.initBudget, mask: false };
  if (step > s.totalStep - s.tfinal) return { budget: s.targetBudget, mask: true };
  const coefficient = 1 - (step - s.tinit) / (s.totalStep - s.tfinal - s.tinit);
  const budget = Math.floor((s.initBudget - s.targetBudget) * coefficient ** 3 + s.targetBudget);
  return { budget, mask: step % s.deltaT === 0 };
}

/** The k-th smallest value (1-based), as torch.kthvalue. */
export function kthSmallest(values: ArrayLike<number>, k: number): number {
  return Float64Array.from(values).sort()[k - 1]!;
}

interface Moments {
  ipt: tf.Tensor;
  unc: tf.Tensor;
}

/** The moments of one variable on the host: Ī (`ipt`) and Ū (`unc`), each of the variable's shape. */
export interface HostMoments {
  ipt: HostTensor;
  unc: HostTensor;
}

/** The EMA state of one adapter's layers and the schedule that masks them. */
export class RankAllocator {
  private moments = new Map<tf.Variable, Moments>();
  readonly schedule: BudgetSchedule;

  constructor(
    readonly layers: AdaLoraLayer[],
    private readonly config: AdapterConfig,
    totalStep: number,
    source = 'adapter config',
  ) {
    const initBudget = layers.reduce((n, l) => n + l.r, 0);
    const targetBudget = config.target_r * layers.length;
    const { tinit, tfinal, deltaT } = config;
    if (tinit + tfinal >= totalStep) {
      throw new Error(
        `${source}: AdaLoRA needs tinit + tfinal < total_step, got tinit = ${tinit}, tfinal = ${tfinal}, total_step = ${totalStep}`,
      );
    }
    if (config.target_r > config.init_r) {
      throw new Error(
        `${source}: field 'target_r' = ${config.target_r} must not exceed 'init_r' = ${config.init_r}`,
      );
    }
    this.schedule = { initBudget, targetBudget, tinit, tfinal, totalStep, deltaT };
  }

  /** PEFT's `update_ipt`: grads[i] is the gradient of layer.variables()[i]. */
  updateImportance(grads: (layer: AdaLoraLayer) => (tf.Tensor | undefined)[]): void {
    const { beta1, beta2 } = this.config;
    for (const layer of this.layers) {
      const g = grads(layer);
      layer.variables().forEach((v, i) => {
        const grad = g[i];
        if (!grad) return;
        const old = this.moments.get(v);
        const next = tf.tidy(() => {
          const ipt = tf.abs(tf.mul(v, grad));
          const avg = old ? tf.add(tf.mul(old.ipt, beta1), tf.mul(ipt, 1 - beta1)) : tf.mul(ipt, 1 - beta1);
          const dev = tf.abs(tf.sub(ipt, avg));
          const unc = old ? tf.add(tf.mul(old.unc, beta2), tf.mul(dev, 1 - beta2)) : tf.mul(dev, 1 - beta2);
          return { ipt: avg, unc };
        });
        if (old) tf.dispose([old.ipt, old.unc]);
        this.moments.set(v, next);
      });
    }
  }

  /** Each layer's triplet scores, r values per layer (0 where no moments exist yet). */
  tripletScores(): Float32Array[] {
    return this.layers.map((layer) => {
      const [a, e, b] = layer.variables().map((v) => this.moments.get(v));
      if (!a || !e || !b) return new Float32Array(layer.r);
      return tf.tidy(() => {
        const score = (m: Moments) => tf.mul(m.ipt, m.unc);
        const total = tf.addN([
          tf.reshape(score(e), [-1]),
          tf.mean(score(a), 0), // Qᵀ is [in, r]: mean over in
          tf.mean(score(b), 1), // Pᵀ is [r, out]: mean over out
        ]);
        return total.dataSync() as Float32Array;
      });
    });
  }

  /** PEFT's `mask_to_budget`: zero Λ of every triplet scoring ≤ the (init − budget)-th smallest. */
  maskToBudget(budget: number): boolean[][] {
    const scores = this.tripletScores();
    const k = this.schedule.initBudget - budget;
    const all = scores.flatMap((s) => [...s]);
    const threshold = k > 0 ? kthSmallest(all, k) : Number.NEGATIVE_INFINITY;
    return this.layers.map((layer, i) => {
      const keep = Array.from(scores[i]!, (s) => !(s <= threshold));
      layer.applyMask(keep);
      return keep;
    });
  }

  /**
   * PEFT's `update_and_allocate(global_step)`: before the final phase, update the importance and
   * mask when the schedule says so; at its first step, mask to the target and reset the
   * moments; after it, re-apply the final mask.
   */
  step(globalStep: number, grads: (layer: AdaLoraLayer) => (tf.Tensor | undefined)[]): void {
    const final = this.schedule.totalStep - this.schedule.tfinal;
    if (globalStep < final) {
      this.updateImportance(grads);
      const { budget, mask } = budgetSchedule(globalStep, this.schedule);
      if (mask) this.maskToBudget(budget);
    } else if (globalStep === final) {
      this.maskToBudget(budgetSchedule(globalStep, this.schedule).budget);
      this.reset();
    } else {
      for (const layer of this.layers) if (layer.rankMask) layer.applyMask(layer.rankMask);
    }
  }

  /** The moments of every variable that has them, copied to the host (a training checkpoint's). */
  momentsOnHost(): Map<tf.Variable, HostMoments> {
    const out = new Map<tf.Variable, HostMoments>();
    const host = (t: tf.Tensor): HostTensor => ({
      shape: [...t.shape],
      data: Float32Array.from(t.dataSync()),
    });
    for (const [v, m] of this.moments) out.set(v, { ipt: host(m.ipt), unc: host(m.unc) });
    return out;
  }

  /**
   * Replace the moments by saved ones (a checkpoint's), for variables of this allocator's layers;
   * a shape that differs from its variable's is an error naming `source` and the variable.
   */
  setMoments(moments: Map<tf.Variable, HostMoments>, source = 'checkpoint'): void {
    const known = new Set(this.layers.flatMap((l) => l.variables()));
    for (const [v, m] of moments) {
      if (!known.has(v)) throw new Error(`${source}: moments of a variable (${v.name}) not in this adapter`);
      for (const [key, t] of Object.entries(m) as [keyof HostMoments, HostTensor][])
        if (t.shape.join(',') !== v.shape.join(',') || t.data.length !== v.size)
          throw new Error(
            `${source}: AdaLoRA moment '${key}' of ${v.name} is [${t.shape}], expected [${v.shape}]`,
          );
    }
    this.reset();
    for (const [v, m] of moments)
      this.moments.set(v, { ipt: tf.tensor(m.ipt.data, v.shape), unc: tf.tensor(m.unc.data, v.shape) });
  }

  /** Free the moments (PEFT's `reset_ipt`). */
  reset(): void {
    for (const m of this.moments.values()) tf.dispose([m.ipt, m.unc]);
    this.moments.clear();
  }
}
