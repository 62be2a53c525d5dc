/**
 * P-tuning's LSTM prompt encoder (PEFT `encoder_reparameterization_type: LSTM`): a bidirectional,
 * `numLayers`-deep LSTM over the N table rows (as one sequence), dropout between layers while
 * training, then Linear(2H → 2H) → ReLU → Linear(2H → out). PyTorch's LSTM: gates (i, f, g, o),
 * c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'), both biases added; every weight U(±1/√H).
 */
import { dropout, linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../io/safetensors.js';
import { hashSeed } from '../layer/init.js';
import type { ForwardContext } from '../model-types.js';
import { MlpEncoder } from './mlp-encoder.js';
import type { PromptEncoder } from './module.js';

interface Direction {
  /** PyTorch's parameter suffix: `l0`, `l0_reverse`, … */
  suffix: string;
  inFeatures: number;
  /** [in, 4H] */
  wIh: tf.Variable;
  /** [H, 4H] */
  wHh: tf.Variable;
  bIh: tf.Variable;
  bHh: tf.Variable;
}

export class LstmEncoder implements PromptEncoder {
  private readonly directions: Direction[][] = [];
  private readonly head: MlpEncoder;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly numLayers: number,
    readonly dropout: number,
    outputSize: number,
    seed: number,
  ) {
    const bound = 1 / Math.sqrt(hiddenSize);
    let s = seed;
    const uniform = (shape: number[]) =>
      tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', s++), true));
    for (let layer = 0; layer < numLayers; layer++) {
      const inFeatures = layer === 0 ? inputSize : 2 * hiddenSize;
      this.directions.push(
        ['', '_reverse'].map((reverse) => ({
          suffix: `l${layer}${reverse}`,
          inFeatures,
          wIh: uniform([inFeatures, 4 * hiddenSize]),
          wHh: uniform([hiddenSize, 4 * hiddenSize]),
          bIh: uniform([4 * hiddenSize]),
          bHh: uniform([4 * hiddenSize]),
        })),
      );
    }
    this.head = new MlpEncoder(
      [
        { name: 'mlp_head.0', inFeatures: 2 * hiddenSize, outFeatures: 2 * hiddenSize },
        { name: 'mlp_head.2', inFeatures: 2 * hiddenSize, outFeatures: outputSize },
      ],
      'relu',
      s,
    );
  }

  forward(input: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    let x: tf.Tensor2D = input;
    this.directions.forEach((pair, layer) => {
      if (layer > 0 && ctx.training && this.dropout > 0) {
        const seed = hashSeed(`lstm_head.dropout.${layer}`, ctx.dropoutSeed ?? 0);
        x = dropout(x, this.dropout, seed) as tf.Tensor2D;
      }
      const [forward, backward] = pair as [Direction, Direction];
      x = tf.concat([this.run(forward, x, false), this.run(backward, x, true)], 1) as tf.Tensor2D;
    });
    return this.head.forward(x, ctx);
  }

  /** One direction over the rows of x [T, in] → hidden states [T, H] in row order. */
  private run(d: Direction, x: tf.Tensor2D, reverse: boolean): tf.Tensor2D {
    const H = this.hiddenSize;
    const steps = x.shape[0];
    const projected = tf.add(linear(x, d.wIh, d.bIh), d.bHh); // [T, 4H]
    let h: tf.Tensor = tf.zeros([1, H]);
    let c: tf.Tensor = tf.zeros([1, H]);
    const out: tf.Tensor[] = new Array(steps);
    for (let k = 0; k < steps; k++) {
      const t = reverse ? steps - 1 - k : k;
      const gates = tf.add(tf.slice(projected, [t, 0], [1, 4 * H]), linear(h, d.wHh));
      const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      out[t] = h;
    }
    return tf.concat(out, 0) as tf.Tensor2D;
  }

  variables(): tf.Variable[] {
    return [...this.directions.flat().flatMap((d) => [d.wIh, d.wHh, d.bIh, d.bHh]), ...this.head.variables()];
  }

  assignTorch(tensors: Record<string, HostTensor>, source: string): void {
    const H = this.hiddenSize;
    for (const d of this.directions.flat()) {
      const parts: [string, tf.Variable, number[]][] = [
        [`weight_ih_${d.suffix}`, d.wIh, [4 * H, d.inFeatures]],
        [`weight_hh_${d.suffix}`, d.wHh, [4 * H, H]],
        [`bias_ih_${d.suffix}`, d.bIh, [4 * H]],
        [`bias_hh_${d.suffix}`, d.bHh, [4 * H]],
      ];
      for (const [name, variable, shape] of parts) {
        const key = `lstm_head.${name}`;
        const t = tensors[key];
        if (!t || t.shape.join(',') !== shape.join(','))
          throw new Error(
            `${source}: tensor '${key}' must be [${shape}], got ${t ? `[${t.shape}]` : 'none'}`,
          );
        tf.tidy(() => {
          const value = tf.tensor(t.data, shape);
          variable.assign(shape.length === 2 ? tf.transpose(value) : value);
        });
      }
    }
    this.head.assignTorch(tensors, source);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
