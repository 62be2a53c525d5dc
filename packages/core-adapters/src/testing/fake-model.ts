/** A tiny model of named linears implementing the adapter contract (tests and benchmarks only). */
import { linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import type { AdaptableModel, ForwardContext, Linear, LinearAdapter } from '../model-types.js';

export class FakeLinear implements Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  adapter: LinearAdapter | null = null;

  constructor(
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    seed: number,
    withBias = true,
  ) {
    const bound = 1 / Math.sqrt(inFeatures);
    const w = tf.randomUniform([inFeatures, outFeatures], -bound, bound, 'float32', seed);
    this.weight = tf.variable(w, false);
    w.dispose();
    const b = withBias ? tf.randomUniform([outFeatures], -bound, bound, 'float32', seed + 1) : undefined;
    this.bias = b ? tf.variable(b, false) : undefined;
    b?.dispose();
  }

  setAdapter(adapter: LinearAdapter | null): void {
    this.adapter = adapter;
  }

  apply(x: tf.Tensor, ctx: ForwardContext = {}): tf.Tensor {
    const input = this.adapter?.input ? this.adapter.input(x, ctx) : x;
    const base = linear(input, this.weight, this.bias);
    return this.adapter ? this.adapter.forward(input, base, ctx) : base;
  }

  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}

/**
 * y = lm_head(down_proj(tanh(up_proj(q_proj(x))))) with Hugging Face-like names, for inputs
 * [batch, seq, dim].
 */
export class FakeMlpModel implements AdaptableModel {
  readonly linears: FakeLinear[];

  constructor(
    readonly dim = 6,
    readonly hidden = 10,
    readonly vocab = 5,
    seed = 11,
  ) {
    this.linears = [
      new FakeLinear('model.layers.0.self_attn.q_proj', dim, dim, seed),
      new FakeLinear('model.layers.0.mlp.up_proj', dim, hidden, seed + 10),
      new FakeLinear('model.layers.0.mlp.down_proj', hidden, dim, seed + 20, false),
      new FakeLinear('lm_head', dim, vocab, seed + 30, false),
    ];
  }

  namedLinears(): Map<string, Linear> {
    return new Map(this.linears.map((l) => [l.name, l]));
  }

  /** Every weight by Hugging Face name (`….weight` [in, out], `….bias`). */
  parameters(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const l of this.linears) {
      out.set(`${l.name}.weight`, l.weight);
      if (l.bias) out.set(`${l.name}.bias`, l.bias);
    }
    return out;
  }

  setTrainable(trainable: boolean): void {
    for (const v of this.parameters().values()) v.trainable = trainable;
  }

  forward(x: tf.Tensor, ctx: ForwardContext = {}): tf.Tensor {
    const [q, up, down, head] = this.linears as [FakeLinear, FakeLinear, FakeLinear, FakeLinear];
    return head.apply(down.apply(tf.tanh(up.apply(q.apply(x, ctx), ctx)), ctx), ctx);
  }

  /** The output and the sum of the pass's auxiliary losses (null when none), as a real model returns them. */
  forwardWithAux(x: tf.Tensor, ctx: ForwardContext = {}): { output: tf.Tensor; auxLoss: tf.Scalar | null } {
    const auxLosses: tf.Scalar[] = [];
    const output = this.forward(x, { ...ctx, auxLosses });
    const auxLoss = auxLosses.length === 0 ? null : (tf.addN(auxLosses) as tf.Scalar);
    return { output, auxLoss };
  }

  dispose(): void {
    for (const l of this.linears) l.dispose();
  }
}
