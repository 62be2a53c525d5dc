import { linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { type AuxLossWeights, auxLossesEnabled, auxLossTotal } from './aux-losses.js';
import { type RouterRegistry, routerRegistry } from './registry.js';
import { RoutingTelemetry } from './telemetry.js';
import type { ForwardContext, RouterStrategy } from './types.js';

/** Options of one {@link Router}. */
export interface RouterOptions {
  /** Strategy name in the registry (default `dense`). */
  strategy?: string;
  /** Number of heads N. */
  numHeads: number;
  /** Width of the features the gate reads (`in` when routing on x, `r` when routing on A·x). */
  inFeatures: number;
  /** k for the `top-k` strategy (default min(2, N)); also the k of the load-balance count. */
  topK?: number;
  /** Auxiliary-loss coefficients (all 0 by default). */
  aux?: AuxLossWeights;
  /** Seed of the gate's Kaiming-uniform initialisation. */
  seed?: number;
  /** Where to look the strategy up (default: the shared {@link routerRegistry}). */
  registry?: RouterRegistry;
  /** Name used in error messages and telemetry (e.g. the module name). */
  name?: string;
}

/** How the rows of a flattened [T, d] input are grouped into samples. */
export interface RouteLayout {
  batch: number;
  seq: number;
}

/**
 * Infer the [batch, seq] grouping of an input [..., d]: rank ≥ 3 → the last-but-one axis is the
 * sequence; rank 2 → one sample per row, unless an attention mask of T entries is given.
 */
export function routeLayout(shape: readonly number[], ctx: ForwardContext = {}): RouteLayout {
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (shape.length >= 3)
    return { batch: rows / (shape[shape.length - 2] ?? 1), seq: shape[shape.length - 2] ?? 1 };
  const mask = ctx.attentionMask;
  if (mask && mask.size === rows) return { batch: mask.shape[0], seq: mask.shape[1] };
  return { batch: rows, seq: 1 };
}

/**
 * A gate plus a strategy: `route` maps features [T, d] to mixing weights ω [T, N]. The gate
 * W_g is stored as [d, N] (kernel layout, products through gpu-backend's `linear`); files store
 * its transpose [N, d], like PyTorch's `nn.Linear(d, N)`. Initialised Kaiming-uniform (a = √5),
 * i.e. U(−1/√d, 1/√d), as the official code's `nn.Linear` default.
 */
export class Router {
  readonly strategy: RouterStrategy;
  readonly numHeads: number;
  readonly inFeatures: number;
  readonly topK: number;
  readonly aux: AuxLossWeights;
  /** W_g [d, N], or null for gate-less strategies. */
  readonly gate: tf.Variable | null;
  /** Routing statistics, recorded only while `telemetryEnabled`. */
  readonly telemetry: RoutingTelemetry;
  telemetryEnabled = false;

  constructor(options: RouterOptions) {
    const registry = options.registry ?? routerRegistry;
    this.strategy = registry.get(options.strategy ?? 'dense');
    this.numHeads = options.numHeads;
    this.inFeatures = options.inFeatures;
    this.topK = options.topK ?? Math.min(2, options.numHeads);
    this.aux = options.aux ?? {};
    if (!Number.isInteger(this.numHeads) || this.numHeads < 1) {
      throw new Error(
        `router ${options.name ?? ''}: numHeads must be a positive integer, got ${this.numHeads}`,
      );
    }
    this.telemetry = new RoutingTelemetry(this.numHeads);
    if (this.strategy.usesGate) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      const init = tf.randomUniform([this.inFeatures, this.numHeads], -bound, bound, 'float32', options.seed);
      this.gate = tf.variable(init, true);
      init.dispose();
    } else {
      this.gate = null;
    }
  }

  /**
   * Whether this pass reads ω beyond the mixing itself (an aux loss while training, or telemetry):
   * when not, and the strategy is the dense softmax, a caller may fuse the softmax into its mixing
   * (see {@link Router.denseLogits}).
   */
  observes(ctx: ForwardContext): boolean {
    return this.telemetryEnabled || (!!ctx.training && !!ctx.auxLosses && auxLossesEnabled(this.aux));
  }

  /** Throws, naming both shapes, when `ctx.attentionMask` does not cover `layout`'s tokens. */
  checkMask(layout: RouteLayout, ctx: ForwardContext = {}): void {
    this.flatMask(layout, ctx);
  }

  /**
   * The gate logits W_g·x [T, N] for a caller that applies the dense softmax itself (fused with its
   * mixing), or null when the strategy is not token-level dense softmax or ω is observed in this
   * pass ({@link Router.observes}); the attention mask's shape is checked as in `route`.
   */
  denseLogits(features: tf.Tensor2D, layout: RouteLayout, ctx: ForwardContext = {}): tf.Tensor2D | null {
    if (this.strategy.name !== 'dense' || !this.gate || this.observes(ctx)) return null;
    this.flatMask(layout, ctx);
    return linear(features, this.gate) as tf.Tensor2D;
  }

  /**
   * Mixing weights for the rows of `features` [T, d] grouped by `layout`: [T, N] for token-level
   * strategies, and the sample's ω repeated over its tokens for sample-level ones. Runs in the
   * caller's tidy scope. When training with aux losses on, their total is appended to
   * `ctx.auxLosses` (the pass's collector).
   */
  route(features: tf.Tensor2D, layout: RouteLayout, ctx: ForwardContext = {}): tf.Tensor2D {
    this.flatMask(layout, ctx); // checks the mask's shape (builds nothing)
    if (this.strategy.granularity === 'sample') {
      const perSample = this.sampleWeights(features, layout, ctx);
      const n = this.numHeads;
      // Broadcast by multiplying with ones, not tf.tile: tile's gradient is one slice+add per repeat.
      const spread = tf.mul(tf.reshape(perSample, [layout.batch, 1, n]), tf.ones([1, layout.seq, 1]));
      return tf.reshape(spread, [layout.batch * layout.seq, n]) as tf.Tensor2D;
    }
    const logits = this.gate ? (linear(features, this.gate) as tf.Tensor2D) : null;
    return this.routeLogits(logits, features.shape[0], layout, ctx);
  }

  /**
   * ω [T, N] from gate logits the caller computed itself (token-level strategies only) — lets an
   * adapter compute x·[A | W_g] as one product.
   */
  routeLogits(
    logits: tf.Tensor2D | null,
    rows: number,
    layout: RouteLayout,
    ctx: ForwardContext = {},
  ): tf.Tensor2D {
    if (this.strategy.granularity !== 'token') {
      throw new Error(`router '${this.strategy.name}': routeLogits needs a token-level strategy`);
    }
    const weights = this.strategy.weights({ logits, numHeads: this.numHeads, rows, topK: this.topK });
    this.afterRoute(logits, weights, this.flatMask(layout, ctx), ctx, layout, false);
    return weights;
  }

  /**
   * One ω per sample, [batch, N], for sample-level strategies: the gate on the mask-aware mean
   * of the features over each sample's sequence (or the one-hot of its component id).
   */
  sampleWeights(features: tf.Tensor2D, layout: RouteLayout, ctx: ForwardContext = {}): tf.Tensor2D {
    if (this.strategy.granularity !== 'sample') {
      throw new Error(`router '${this.strategy.name}': sampleWeights needs a sample-level strategy`);
    }
    let logits: tf.Tensor2D | null = null;
    if (this.gate) {
      const d = features.shape[1];
      const x3 = tf.reshape(features, [layout.batch, layout.seq, d]);
      let pooled: tf.Tensor;
      const mask = ctx.attentionMask;
      if (mask) {
        const m = tf.reshape(tf.cast(mask, 'float32'), [layout.batch, layout.seq, 1]);
        pooled = tf.div(tf.sum(tf.mul(x3, m), 1), tf.maximum(tf.sum(m, 1), 1));
      } else {
        pooled = tf.mean(x3, 1);
      }
      logits = linear(pooled, this.gate) as tf.Tensor2D;
    }
    const weights = this.strategy.weights({
      logits,
      numHeads: this.numHeads,
      rows: layout.batch,
      topK: this.topK,
      componentIds: ctx.componentIds,
    });
    this.afterRoute(logits, weights, undefined, ctx, layout, true);
    return weights;
  }

  /** Free the gate variable. */
  dispose(): void {
    this.gate?.dispose();
  }

  /**
   * The attention mask as a float [T] vector, built only when an aux loss or telemetry reads it
   * (its shape is checked at once): two kernels per routed linear saved on every other forward.
   */
  private flatMask(layout: RouteLayout, ctx: ForwardContext): (() => tf.Tensor1D) | undefined {
    const mask = ctx.attentionMask;
    if (!mask) return undefined;
    if (mask.size !== layout.batch * layout.seq) {
      throw new Error(
        `router: attentionMask has shape [${mask.shape}] but the input holds ${layout.batch}×${layout.seq} tokens`,
      );
    }
    return () => tf.reshape(tf.cast(mask, 'float32'), [mask.size]) as tf.Tensor1D;
  }

  private afterRoute(
    logits: tf.Tensor2D | null,
    weights: tf.Tensor2D,
    maskOf: (() => tf.Tensor1D) | undefined,
    ctx: ForwardContext,
    layout: RouteLayout,
    perSample: boolean,
  ): void {
    let mask: tf.Tensor1D | undefined;
    const flat = () => (mask ??= maskOf?.());
    if (ctx.training && ctx.auxLosses && auxLossesEnabled(this.aux)) {
      const topK = this.strategy.selectsTopK ? this.topK : 1;
      ctx.auxLosses.push(auxLossTotal(this.aux, { logits, weights, topK, mask: flat() }));
    }
    if (this.telemetryEnabled) {
      // accumulated on the backend: no host read in the forward pass (read back at snapshot())
      let rowComponent: Int32Array | undefined;
      const ids = ctx.componentIds;
      if (ids && ids.length === layout.batch) {
        rowComponent = perSample ? ids : new Int32Array(layout.batch * layout.seq);
        if (!perSample)
          for (let b = 0; b < layout.batch; b++)
            rowComponent.fill(ids[b] ?? 0, b * layout.seq, (b + 1) * layout.seq);
      }
      this.telemetry.recordTensors(weights, flat(), rowComponent);
    }
  }
}
