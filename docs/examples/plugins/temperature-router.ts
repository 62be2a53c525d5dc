/**
 * Worked plugin example: a router strategy that sharpens or flattens the dense softmax gate with
 * a temperature τ, ω = softmax(W_g·x / τ). τ = 1 is the official dense softmax, τ → 0 approaches
 * top-1 routing, τ → ∞ the uniform gate of the paper's "w/o gate" ablation.
 *
 * A strategy is a stateless object implementing `RouterStrategy` from @hydralora/router; it is
 * added to a registry by an explicit `register` call, which throws if the name is taken. A
 * `Router` then looks it up by name, creates the gate W_g [in, N] and calls `weights` per pass.
 */
import { type RouterRegistry, type RouterStrategy, routerRegistry } from '@hydralora/router';
import * as tf from '@tensorflow/tfjs-core';

export interface TemperatureRouterConfig {
  /** Softmax temperature τ > 0 (1 = the official dense softmax). */
  temperature: number;
}

/** The strategy object; the config is checked here, so a bad τ fails before any training. */
export function createTemperatureRouter(config: TemperatureRouterConfig): RouterStrategy {
  const { temperature } = config;
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new Error(
      `temperature router: field 'temperature' must be a finite number > 0, got ${temperature}`,
    );
  }
  return {
    name: 'temperature-softmax',
    description: `softmax of the gate logits divided by a temperature (τ = ${temperature})`,
    usesGate: true,
    granularity: 'token',
    weights(args) {
      if (!args.logits) throw new Error("router 'temperature-softmax': needs gate logits, got none");
      // Runs inside the Router's tidy scope: intermediates are released with it.
      return tf.softmax(tf.div(args.logits, temperature)) as tf.Tensor2D;
    },
  };
}

/** Register the strategy (in the default registry unless another is given). */
export function registerTemperatureRouter(
  config: TemperatureRouterConfig,
  registry: RouterRegistry = routerRegistry,
): RouterStrategy {
  const strategy = createTemperatureRouter(config);
  registry.register(strategy);
  return strategy;
}
