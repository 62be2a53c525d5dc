/**
 * AdaLoRA on one linear (Zhang et al., *Adaptive Budget Allocation for Parameter-Efficient
 * Fine-Tuning*, ICLR 2023): an update in SVD form, ΔW = P·Λ·Q·α/(ranknum + 1e-5), whose
 * singular values Λ the rank allocator masks to zero for the least important triplets.
 *
 * PEFT's layout: `lora_A` = Q [r, in], `lora_E` = Λ [r, 1], `lora_B` = P [out, r]; held here
 * transposed as [in, r], [1, r] and [r, out] so that the update is x·(Q ⊙ Λ)ᵀ·Pᵀ with plain
 * products. `ranknum` stays init_r (PEFT keeps it when it resizes a module), so the scaling
 * does not change when triplets are masked.
 */
import { mulberry32 } from '@hydralora/common';
import { dropout } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig } from '../../config.js';
import { hashSeed } from '../../layer/init.js';
import type { AdapterTensor, ModuleLayer } from '../../layer/module-layer.js';
import type { ForwardContext, Linear } from '../../model-types.js';

/**
 * What the layers of one adapter share: how many there are (the orthogonality term is their
 * mean) and, once training has stepped, the rank allocator (freed with the last layer).
 */
export interface AdaLoraGroup {
  count: number;
  allocator?: { reset(): void };
}

export interface AdaLoraLayerOptions {
  linear: Linear;
  adapterName: string;
  config: AdapterConfig;
  group: AdaLoraGroup;
  /** The triplets kept (PEFT's resized files): the layer holds only these, ranknum stays init_r. */
  keep?: boolean[];
}

/** PEFT's initialisation of P and Q: N(0, 0.02²), seeded per adapter and module. */
function normal(size: number, std: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: size }, () => {
    const u = Math.max(random(), 1e-12);
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  });
}

/** ‖M − I‖_F for a square M. */
function distanceToIdentity(m: tf.Tensor2D): tf.Scalar {
  const d = tf.sub(m, tf.eye(m.shape[0]));
  return tf.sqrt(tf.sum(tf.square(d))) as tf.Scalar;
}

export class AdaLoraLayer implements ModuleLayer {
  readonly module: string;
  readonly r: number;
  /** PEFT's `ranknum`: the divisor of the scaling (init_r). */
  readonly ranknum: number;
  /** α (PEFT's AdaLoRA scales by lora_alpha, not α/r; ranknum divides). */
  readonly alpha: number;
  readonly dropout: number;
  readonly orthRegWeight: number;
  /** Qᵀ [in, r]. */
  readonly lora_A: tf.Variable;
  /** Λᵀ [1, r]. */
  readonly lora_E: tf.Variable;
  /** Pᵀ [r, out]. */
  readonly lora_B: tf.Variable;
  /** The triplets kept by the last allocation (null: none masked yet). */
  rankMask: boolean[] | null = null;
  private readonly group: AdaLoraGroup;
  private readonly seedBase: number;

  constructor(options: AdaLoraLayerOptions) {
    const { linear, config, adapterName } = options;
    this.module = linear.name;
    this.r = options.keep ? options.keep.filter(Boolean).length : config.init_r;
    this.ranknum = config.init_r;
    this.alpha = config.lora_alpha;
    this.dropout = config.lora_dropout;
    this.orthRegWeight = config.orth_reg_weight;
    this.group = options.group;
    this.group.count += 1;
    this.seedBase = hashSeed(`${adapterName}.${linear.name}`, config.init_seed);
    const { inFeatures: n, outFeatures: m } = linear;
    const a = tf.tensor2d(normal(n * this.r, 0.02, this.seedBase), [n, this.r]);
    const b = tf.tensor2d(normal(this.r * m, 0.02, this.seedBase ^ 0x5bd1e995), [this.r, m]);
    const e = tf.zeros([1, this.r]);
    this.lora_A = tf.variable(a, true);
    this.lora_B = tf.variable(b, true);
    this.lora_E = tf.variable(e, true);
    tf.dispose([a, b, e]);
  }

  /** α/(ranknum + 1e-5), PEFT's factor. */
  get scaling(): number {
    return this.alpha / (this.ranknum + 1e-5);
  }

  /**
   * y = base + dropout(x)·(Q ⊙ Λ)ᵀ·Pᵀ·α/(ranknum + 1e-5); while training, adds this layer's share
   * of the orthogonality term, w·(‖QQᵀ − I‖_F + ‖PᵀP − I‖_F)/(2·layers), to `ctx.auxLosses`.
   */
  forward(x: tf.Tensor, base: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (ctx.training && ctx.auxLosses && this.orthRegWeight > 0) {
      const qq = tf.matMul(this.lora_A, this.lora_A, true, false) as tf.Tensor2D;
      const pp = tf.matMul(this.lora_B, this.lora_B, false, true) as tf.Tensor2D;
      const reg = tf.add(distanceToIdentity(qq), distanceToIdentity(pp));
      ctx.auxLosses.push(tf.mul(reg, this.orthRegWeight / (2 * this.group.count)) as tf.Scalar);
    }
    const inF = this.lora_A.shape[0]!;
    let x2 = tf.reshape(x, [-1, inF]) as tf.Tensor2D;
    if (ctx.training && this.dropout > 0) {
      const seed =
        ctx.dropoutSeed === undefined ? undefined : (ctx.dropoutSeed * 7919 + this.seedBase) % 2147483647;
      x2 = dropout(x2, this.dropout, seed) as tf.Tensor2D;
    }
    const h = tf.matMul(x2, tf.mul(this.lora_A, this.lora_E) as tf.Tensor2D);
    const delta = tf.mul(tf.matMul(h, this.lora_B), this.scaling);
    return tf.add(base, tf.reshape(delta, base.shape));
  }

  /** ΔW = (Q ⊙ Λ)ᵀ·Pᵀ·scaling, [in, out] (the internal layout of W). */
  deltaWeight(): tf.Tensor2D {
    return tf.tidy(
      () =>
        tf.mul(
          tf.matMul(tf.mul(this.lora_A, this.lora_E) as tf.Tensor2D, this.lora_B),
          this.scaling,
        ) as tf.Tensor2D,
    );
  }

  /** W ← W + P·Λ·Q·scaling (exact to float rounding; unmerge subtracts it again). */
  merge(linear: Linear, _weights: number[]): void {
    tf.tidy(() => linear.weight.assign(tf.add(linear.weight, this.deltaWeight())));
  }

  unmerge(linear: Linear, _weights: number[]): void {
    tf.tidy(() => linear.weight.assign(tf.sub(linear.weight, this.deltaWeight())));
  }

  /** Zero Λ where `keep` is false (the allocator's mask). */
  applyMask(keep: boolean[]): void {
    this.rankMask = keep;
    tf.tidy(() => {
      const m = tf.tensor2d(
        Float32Array.from(keep, (k) => (k ? 1 : 0)),
        [1, this.r],
      );
      this.lora_E.assign(tf.mul(this.lora_E, m));
    });
  }

  /**
   * PEFT's tensors: `lora_A` [r, in], `lora_E` [r, 1], `lora_B` [out, r]. PEFT holds them in
   * ParameterDicts, so its keys carry no `.weight` suffix (`…q_proj.lora_A`).
   */
  tensors(): AdapterTensor[] {
    return [
      { key: 'lora_A', variable: this.lora_A },
      { key: 'lora_E', variable: this.lora_E },
      { key: 'lora_B', variable: this.lora_B },
    ];
  }

  /** [Q, Λ, P] in that order (the allocator reads gradients by this index). */
  variables(): tf.Variable[] {
    return [this.lora_A, this.lora_E, this.lora_B];
  }

  parameterCount(): number {
    return this.lora_A.size + this.lora_E.size + this.lora_B.size;
  }

  dispose(): void {
    this.group.count -= 1;
    if (this.group.count === 0) {
      // the adapter is gone: free its allocator's moments too
      this.group.allocator?.reset();
      delete this.group.allocator;
    }
    tf.dispose([this.lora_A, this.lora_E, this.lora_B]);
  }
}
