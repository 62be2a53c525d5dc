/**
 * Worked plugin example: a new adapter method, LoRA-MoE with head-diversity initialisation
 * (N routed A/B pairs whose B heads start random and centred, as R-LoRA argues, instead of zero).
 *
 * A method is data: its name (the config's `method` value), the `peft_type` its files carry, the
 * extra config keys it writes, and one hook, `shape`, that maps a validated config to the layer
 * structure (how many A's and B's, how many terms, where ω comes from, how B starts). Forward,
 * merge, save/load and parameter counting are generic over that structure.
 */
import {
  type AdaptableModel,
  type AdapterMethod,
  type Linear,
  type LinearAdapter,
  type MethodRegistry,
  methodRegistry,
} from '@hydralora/core-adapters';
import { linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';

export const loraMoeDiverseMethod: AdapterMethod = {
  name: 'lora-moe-diverse',
  peftType: 'LORA_MOE_DIVERSE',
  description: 'LoRA-MoE with random, centred B heads (head-diversity init)',
  extraConfigKeys: ['num_heads', 'router', 'router_top_k', 'router_input', 'router_aux', 'head_init_scale'],
  shape: (config) => ({
    numA: config.num_heads,
    numB: config.num_heads,
    numHeads: config.num_heads,
    weighting: 'router',
    headInit: 'diverse',
  }),
};

/** Register the method (in the default registry unless another is given); throws if taken. */
export function registerLoraMoeDiverse(registry: MethodRegistry = methodRegistry): void {
  registry.register(loraMoeDiverseMethod);
}

/** The smallest model to try a method on: one frozen linear named `proj`, y = x·W. */
export class OneLinearModel implements AdaptableModel {
  readonly layer: Linear & { adapter: LinearAdapter | null; apply(x: tf.Tensor): tf.Tensor };

  constructor(inFeatures: number, outFeatures: number, seed = 0) {
    const init = tf.randomUniform([inFeatures, outFeatures], -0.5, 0.5, 'float32', seed);
    const weight = tf.variable(init, false);
    init.dispose();
    this.layer = {
      name: 'proj',
      inFeatures,
      outFeatures,
      weight,
      adapter: null,
      setAdapter(adapter) {
        this.adapter = adapter;
      },
      apply(x) {
        const base = linear(x, weight);
        return this.adapter ? this.adapter.forward(x, base, {}) : base;
      },
    };
  }

  namedLinears(): Map<string, Linear> {
    return new Map([['proj', this.layer]]);
  }
}
