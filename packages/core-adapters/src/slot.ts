/** The LinearAdapter installed on each targeted linear: holds every named adapter of that module. */
import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterLayer } from './layer/adapter-layer.js';
import type { ForwardContext, Linear, LinearAdapter } from './model-types.js';

export class AdapterSlot implements LinearAdapter {
  readonly layers = new Map<string, AdapterLayer>();
  /** The adapter this module runs (null: none targets it). */
  active: string | null = null;
  enabled = true;
  /** The adapter whose update is currently merged into the base weight, and its ω. */
  merged: { adapter: string; weights: number[] } | null = null;

  constructor(readonly linear: Linear) {}

  forward(x: tf.Tensor, base: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!this.enabled || this.active === null || this.merged) return base;
    const layer = this.layers.get(this.active);
    return layer ? layer.forward(x, base, ctx) : base;
  }
}
