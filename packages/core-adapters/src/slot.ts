/** The LinearAdapter installed on each targeted linear: holds every named adapter of that module. */
import type * as tf from '@tensorflow/tfjs-core';
import type { ModuleLayer } from './layer/module-layer.js';
import type { ForwardContext, Linear, LinearAdapter } from './model-types.js';

export class AdapterSlot implements LinearAdapter {
  readonly layers = new Map<string, ModuleLayer>();
  /** The adapter this module runs (null: none targets it). */
  active: string | null = null;
  enabled = true;
  /** The adapter whose update is currently merged into the base weight, and its ω. */
  merged: { adapter: string; weights: number[] } | null = null;

  constructor(readonly linear: Linear) {}

  /** The layer that runs now (none when disabled, merged or not targeted). */
  private running(): ModuleLayer | undefined {
    if (!this.enabled || this.active === null || this.merged) return undefined;
    return this.layers.get(this.active);
  }

  input(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const layer = this.running();
    return layer?.input ? layer.input(x, ctx) : x;
  }

  forward(x: tf.Tensor, base: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const layer = this.running();
    return layer ? layer.forward(x, base, ctx) : base;
  }
}
