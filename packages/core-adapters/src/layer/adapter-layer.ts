/**
 * The one adapter layer every method uses (see LayerShape). HydraLoRA's heads are computed as one
 * product: Σᵢ ωᵢ·Bᵢ·(A·x) = B_cat·(ω ⊗ A·x) with B_cat = [B₁; …; B_N] ([N·r, out]) — one
 * A product [T, r], one element-wise weighting, one N·r-wide product — all through gpu-backend's
 * `linear`, whose gradients are NN-layout products.
 */
import { dropout, linear, routeMix, routeSoftmaxMix, routeSoftmaxMixPacked } from '@hydralora/gpu-backend';
import { Router, routeLayout } from '@hydralora/router';
import * as tf from '@tensorflow/tfjs-core';
import { type AdapterConfig, loraScaling } from '../config.js';
import type { ForwardContext, Linear, LinearAdapter } from '../model-types.js';
import { diverseHeads, hashSeed, kaimingUniform } from './init.js';
import type { AdapterTensor, ModuleLayer } from './module-layer.js';
import type { LayerShape } from './shape.js';

export type { AdapterTensor };

/**
 * Infers each sample's component when none is given (LoRA-Split inference): receives the
 * mask-aware mean of the layer input per sample, [batch·in] row-major.
 */
export type ComponentInferrer = (pooled: Float32Array, batch: number, module: string) => Int32Array;

export interface AdapterLayerOptions {
  linear: Linear;
  adapterName: string;
  config: AdapterConfig;
  shape: LayerShape;
  r: number;
  alpha: number;
}

export class AdapterLayer implements ModuleLayer, LinearAdapter {
  readonly module: string;
  readonly shape: LayerShape;
  readonly r: number;
  readonly alpha: number;
  /** s = α/r (α/√r with rsLoRA). */
  readonly scaling: number;
  readonly dropout: number;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** A_cat = [A₁ | … | A_numA], [in, numA·r] (one variable: fewer optimizer ops, no concat per step). */
  readonly aCat: tf.Variable;
  /** B_cat = [B₁; …; B_numB], [numB·r, out]. */
  readonly bCat: tf.Variable;
  /** The gate (router weighting) or the component one-hot (split); null for LoRA. */
  readonly router: Router | null;
  readonly routerInput: 'x' | 'lora_a';
  /** LoRA-Split inference without given component ids. */
  componentInferrer: ComponentInferrer | null = null;
  /**
   * LoRA-Split's learned router (`split_router`): a sample-level gate trained by cross-entropy to
   * the given component ids; at inference without ids, its argmax picks the component.
   */
  readonly componentGate: Router | null;
  /** Per-layer offset for dropout seeds (a hash of adapter and module name). */
  private readonly seedBase: number;

  constructor(options: AdapterLayerOptions) {
    const { linear: base, config, shape, r, alpha } = options;
    this.module = base.name;
    this.shape = shape;
    this.r = r;
    this.alpha = alpha;
    this.scaling = loraScaling(alpha, r, config.use_rslora);
    this.dropout = config.lora_dropout;
    this.inFeatures = base.inFeatures;
    this.outFeatures = base.outFeatures;
    this.routerInput = config.router_input;
    const prefix = `${options.adapterName}.${base.name}`;
    const seed = hashSeed(prefix, config.init_seed);
    this.seedBase = seed;
    const aInit = kaimingUniform([this.inFeatures, shape.numA * r], this.inFeatures, seed + 1);
    this.aCat = tf.variable(aInit, true);
    aInit.dispose();
    const bInit =
      shape.headInit === 'diverse'
        ? tf.tidy(() =>
            tf.concat(
              diverseHeads(shape.numB, [r, this.outFeatures], config.head_init_scale, seed + 7919),
              0,
            ),
          )
        : tf.zeros([shape.numB * r, this.outFeatures]);
    this.bCat = tf.variable(bInit, true);
    bInit.dispose();
    if (shape.weighting === 'none') {
      this.router = null;
    } else {
      if (this.routerInput === 'lora_a' && shape.numA !== 1) {
        throw new Error(
          `adapter config: field 'router_input' = "lora_a" needs a single A (method '${config.method}')`,
        );
      }
      this.router = new Router({
        strategy: shape.weighting === 'component' ? 'task' : config.router,
        numHeads: shape.numHeads,
        inFeatures: this.routerInput === 'lora_a' ? r : this.inFeatures,
        topK: config.router_top_k ?? undefined,
        aux: {
          loadBalance: config.router_aux.load_balance,
          importance: config.router_aux.importance,
          zLoss: config.router_aux.z_loss,
        },
        seed: seed + 104729,
        name: prefix,
      });
    }
    this.componentGate =
      shape.weighting === 'component' && config.split_router
        ? new Router({
            strategy: 'sample',
            numHeads: shape.numHeads,
            inFeatures: this.inFeatures,
            seed: seed + 15485863,
          })
        : null;
  }

  /** y = base + s·Σᵢ ωᵢ·B_{b(i)}·A_{a(i)}·dropout(x), in the caller's tidy scope. */
  forward(x: tf.Tensor, base: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const { numA, numB, numHeads } = this.shape;
    const r = this.r;
    const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
    const rows = x2.shape[0];
    const dropoutSeed =
      ctx.dropoutSeed === undefined ? undefined : (ctx.dropoutSeed * 7919 + this.seedBase) % 2147483647;
    const xd =
      ctx.training && this.dropout > 0 ? (dropout(x2, this.dropout, dropoutSeed) as tf.Tensor2D) : x2;
    const gate = this.router?.gate;
    // With no dropout active, A and the gate read the same x: one product x·[A | W_g] instead of
    // two (one transpose of x in the backward pass instead of two).
    const fuse =
      !!gate && this.routerInput === 'x' && this.router?.strategy.granularity === 'token' && xd === x2;
    const aCat = this.aCat;
    const hydra = numA === 1 && numB === numHeads;
    // HydraLoRA with the dense softmax, when nothing else reads ω in this pass: the softmax fused
    // into the head mixing (on the packed x·[A | W_g] when A and the gate read the same x)
    const mixDense =
      !!this.router &&
      hydra &&
      this.routerInput === 'x' &&
      this.shape.weighting !== 'component' &&
      this.router.strategy.name === 'dense' &&
      !this.router.observes(ctx);
    const withB = (z: tf.Tensor2D) => tf.add(base, tf.reshape(linear(z, this.bCat), base.shape));
    let h: tf.Tensor2D;
    let logits: tf.Tensor2D | null = null;
    if (fuse) {
      const both = linear(x2, tf.concat([aCat, gate as tf.Tensor], 1)) as tf.Tensor2D;
      if (mixDense) {
        this.router!.checkMask(routeLayout(x.shape, ctx), ctx);
        return withB(routeSoftmaxMixPacked(both, r, this.scaling));
      }
      h = tf.slice(both, [0, 0], [rows, numA * r]);
      logits = tf.slice(both, [0, numA * r], [rows, numHeads]);
    } else {
      h = linear(xd, aCat) as tf.Tensor2D;
    }
    let z: tf.Tensor2D = h;
    if (mixDense) {
      const gateLogits = this.router!.denseLogits(x2, routeLayout(x.shape, ctx), ctx);
      if (gateLogits) return withB(routeSoftmaxMix(h, gateLogits, this.scaling));
    }
    if (this.router) {
      const omega = logits
        ? this.router.routeLogits(logits, rows, routeLayout(x.shape, ctx), ctx)
        : this.mixingWeights(x2, h, x.shape, ctx);
      if (hydra) {
        // HydraLoRA: [ω₁·h | … | ω_N·h]·s in one fused pass (forward and backward)
        return tf.add(base, tf.reshape(linear(routeMix(h, omega, this.scaling), this.bCat), base.shape));
      }
      const w3 = tf.reshape(omega, [rows, numHeads, 1]);
      const h3 = tf.reshape(h, [rows, numA, r]);
      z = (
        numB === 1 ? tf.sum(tf.mul(h3, w3), 1) : tf.reshape(tf.mul(h3, w3), [rows, numHeads * r])
      ) as tf.Tensor2D;
    }
    const delta = linear(tf.mul(z, this.scaling), this.bCat);
    return tf.add(base, tf.reshape(delta, base.shape));
  }

  /** ω [T, N] for the rows of x2 [T, in] (h = A·x, used when routing on A·x). */
  mixingWeights(x2: tf.Tensor2D, h: tf.Tensor2D, shape: readonly number[], ctx: ForwardContext): tf.Tensor2D {
    if (!this.router) return tf.ones([x2.shape[0], 1]) as tf.Tensor2D;
    const layout = routeLayout(shape, ctx);
    const routeCtx = this.shape.weighting === 'component' ? this.componentContext(x2, layout, ctx) : ctx;
    return this.router.route(this.routerInput === 'lora_a' ? h : x2, layout, routeCtx);
  }

  /**
   * One ω per sample, [batch, N], for sample-level routers and split — what a per-sample merge
   * uses. x is the layer input [batch, seq, in] (or [batch, in]).
   */
  sampleWeights(x: tf.Tensor, ctx: ForwardContext = {}): tf.Tensor2D {
    if (!this.router) throw new Error(`${this.module}: this adapter has no router`);
    return tf.tidy(() => {
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D;
      const layout = routeLayout(x.shape, ctx);
      const routeCtx =
        this.shape.weighting === 'component'
          ? this.componentContext(x2, layout, { ...ctx, training: false })
          : ctx;
      const features = this.routerInput === 'lora_a' ? (linear(x2, this.aCat) as tf.Tensor2D) : x2;
      return this.router!.sampleWeights(features, layout, routeCtx);
    });
  }

  /** ΔW = s·Σᵢ ωᵢ·A_{a(i)}·B_{b(i)}, [in, out] (kernel layout). */
  deltaWeight(weights: number[]): tf.Tensor2D {
    const { numA, numB, numHeads } = this.shape;
    if (weights.length !== numHeads) {
      throw new Error(`${this.module}: merge weights must have ${numHeads} entries, got ${weights.length}`);
    }
    return tf.tidy(() => {
      let sum: tf.Tensor2D | null = null;
      for (let i = 0; i < numHeads; i++) {
        const w = weights[i] ?? 0;
        if (w === 0) continue;
        const a = this.headA(numA === 1 ? 0 : i);
        const b = this.headB(numB === 1 ? 0 : i);
        const term = tf.mul(tf.matMul(a, b), w * this.scaling) as tf.Tensor2D;
        sum = sum ? (tf.add(sum, term) as tf.Tensor2D) : term;
      }
      return sum ?? (tf.zeros([this.inFeatures, this.outFeatures]) as tf.Tensor2D);
    });
  }

  /** W ← W + ΔW(ω) (exact for LoRA and a split component; a fixed ω for routed methods). */
  merge(linear: Linear, weights: number[]): void {
    const w = linear.weight;
    tf.tidy(() => w.assign(tf.add(w, this.deltaWeight(weights))));
  }

  /** W ← W − ΔW(ω). */
  unmerge(linear: Linear, weights: number[]): void {
    const w = linear.weight;
    tf.tidy(() => w.assign(tf.sub(w, this.deltaWeight(weights))));
  }

  /** PEFT file tensors of this layer (keys relative to `base_model.model.<module>.`). */
  tensors(): AdapterTensor[] {
    const out: AdapterTensor[] = [];
    const r = this.r;
    const push = (kind: string, count: number, variable: tf.Variable, axis: 0 | 1) => {
      for (let i = 0; i < count; i++) {
        out.push(
          count === 1
            ? { key: `${kind}.weight`, variable }
            : { key: `${kind}.${i}.weight`, variable, slice: { axis, start: i * r, size: r } },
        );
      }
    };
    push('lora_A', this.shape.numA, this.aCat, 1);
    push('lora_B', this.shape.numB, this.bCat, 0);
    if (this.router?.gate) out.push({ key: 'lora_route.weight', variable: this.router.gate });
    if (this.componentGate?.gate) out.push({ key: 'lora_route.weight', variable: this.componentGate.gate });
    return out;
  }

  /** Every trainable variable: A_cat, B_cat and the gate. */
  variables(): tf.Variable[] {
    return [...new Set(this.tensors().map((t) => t.variable))];
  }

  /** A_i, [in, r] (a new tensor). */
  headA(i: number): tf.Tensor2D {
    return tf.slice(this.aCat, [0, i * this.r], [this.inFeatures, this.r]) as tf.Tensor2D;
  }

  /** B_i, [r, out] (a new tensor). */
  headB(i: number): tf.Tensor2D {
    return tf.slice(this.bCat, [i * this.r, 0], [this.r, this.outFeatures]) as tf.Tensor2D;
  }

  /** Number of trainable parameters. */
  parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    this.aCat.dispose();
    this.bCat.dispose();
    this.router?.dispose();
    this.componentGate?.dispose();
  }

  /**
   * The context LoRA-Split routes with: given ids (adding the split router's cross-entropy to
   * `ctx.auxLosses` when training), else ids from the inferrer, else from the learned split router. Without any of
   * them the `task` router throws, naming componentIds.
   */
  private componentContext(
    x2: tf.Tensor2D,
    layout: { batch: number; seq: number },
    ctx: ForwardContext,
  ): ForwardContext {
    const gate = this.componentGate;
    if (ctx.componentIds) {
      if (ctx.training && ctx.auxLosses && gate && this.shape.numHeads > 1) {
        const probs = gate.sampleWeights(x2, layout, ctx);
        const target = tf.oneHot(tf.tensor1d(ctx.componentIds, 'int32'), this.shape.numHeads);
        const logLikelihood = tf.sum(tf.mul(tf.cast(target, 'float32'), tf.log(tf.add(probs, 1e-9))), 1);
        ctx.auxLosses.push(tf.neg(tf.mean(logLikelihood)) as tf.Scalar);
      }
      return ctx;
    }
    if (this.componentInferrer) return { ...ctx, componentIds: this.inferComponents(x2, layout, ctx) };
    if (gate) {
      const best = tf.tidy(() => tf.argMax(gate.sampleWeights(x2, layout, ctx), 1));
      const ids = Int32Array.from(best.dataSync());
      best.dispose();
      return { ...ctx, componentIds: ids };
    }
    return ctx;
  }

  private inferComponents(
    x2: tf.Tensor2D,
    layout: { batch: number; seq: number },
    ctx: ForwardContext,
  ): Int32Array {
    const pooled = tf.tidy(() => {
      const x3 = tf.reshape(x2, [layout.batch, layout.seq, this.inFeatures]);
      if (!ctx.attentionMask) return tf.mean(x3, 1);
      const m = tf.reshape(tf.cast(ctx.attentionMask, 'float32'), [layout.batch, layout.seq, 1]);
      return tf.div(tf.sum(tf.mul(x3, m), 1), tf.maximum(tf.sum(m, 1), 1));
    });
    const host = pooled.dataSync() as Float32Array;
    pooled.dispose();
    return this.componentInferrer!(Float32Array.from(host), layout.batch, this.module);
  }
}

/**
 * A ComponentInferrer that assigns each sample to the nearest centroid (squared Euclidean) of its
 * pooled layer input. `centroids` maps a module name to [components][in], or gives one list for all.
 */
export function nearestCentroidInferrer(
  centroids: number[][] | Record<string, number[][]>,
): ComponentInferrer {
  return (pooled, batch, module) => {
    const list = Array.isArray(centroids) ? centroids : centroids[module];
    if (!list || list.length === 0)
      throw new Error(`nearestCentroidInferrer: no centroids for module '${module}'`);
    const dim = pooled.length / batch;
    const ids = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      let best = Number.POSITIVE_INFINITY;
      list.forEach((c, k) => {
        if (c.length !== dim)
          throw new Error(`nearestCentroidInferrer: centroid ${k} has ${c.length} dims, expected ${dim}`);
        let d = 0;
        for (let i = 0; i < dim; i++) d += ((pooled[b * dim + i] ?? 0) - (c[i] ?? 0)) ** 2;
        if (d < best) {
          best = d;
          ids[b] = k;
        }
      });
    }
    return ids;
  };
}
