/**
 * (IA)³ on one linear (Liu et al., 2022): a learned vector l rescales the layer's output,
 * y = (x·W + b) ⊙ l (attention's k and v), or, for a feed-forward module, its input,
 * y = (x ⊙ l)·W + b. PEFT's layout: `ia3_l` is [out, 1] for output scaling and [1, in] for input
 * scaling; both are held here as one row, [1, out] or [1, in], that broadcasts over tokens.
 */
import { mulberry32 } from '@hydralora/common';
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig } from '../../config.js';
import { hashSeed } from '../../layer/init.js';
import type { AdapterTensor, ModuleLayer } from '../../layer/module-layer.js';
import type { ForwardContext, Linear } from '../../model-types.js';

export interface Ia3LayerOptions {
  linear: Linear;
  adapterName: string;
  config: AdapterConfig;
  /** Scale the input (feed-forward module) instead of the output. */
  feedforward: boolean;
}

export class Ia3Layer implements ModuleLayer {
  readonly module: string;
  readonly feedforward: boolean;
  /** l, [1, in] (feed-forward) or [1, out]. */
  readonly scale: tf.Variable;

  constructor(options: Ia3LayerOptions) {
    const { linear, config, feedforward } = options;
    this.module = linear.name;
    this.feedforward = feedforward;
    const size = feedforward ? linear.inFeatures : linear.outFeatures;
    let values: Float32Array;
    if (config.init_ia3_weights) values = new Float32Array(size).fill(1);
    else {
      // PEFT leaves torch.randn's values when init_ia3_weights is false: standard normal here too.
      const random = mulberry32(hashSeed(`${options.adapterName}.${linear.name}`, config.init_seed));
      values = Float32Array.from({ length: size }, () => {
        const u = Math.max(random(), 1e-12);
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      });
    }
    const initial = tf.tensor2d(values, [1, size]);
    this.scale = tf.variable(initial, true);
    initial.dispose();
  }

  /** x ⊙ l for a feed-forward module (the base product then sees it); x otherwise. */
  input(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return this.feedforward ? tf.mul(x, this.scale) : x;
  }

  /** base ⊙ l for output scaling (the bias is scaled too, as PEFT); base for a feed-forward module. */
  forward(_x: tf.Tensor, base: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return this.feedforward ? base : tf.mul(base, this.scale);
  }

  /**
   * W ← diag(l)·W (feed-forward: rows, W being [in, out]) or W·diag(l) and b ← b ⊙ l. Throws,
   * changing nothing, when an entry of l is 0 (the merge could not be undone) or when a scaled
   * bias is not a variable.
   */
  merge(linear: Linear, _weights: number[]): void {
    const values = this.scale.dataSync();
    const zero = values.indexOf(0);
    if (zero >= 0)
      throw new Error(
        `${this.module}: ia3_l[${zero}] is 0: merging it could not be undone (unmerge divides by l)`,
      );
    this.rescale(linear, (t, l) => tf.mul(t, l));
  }

  /** W ← W / l (and b ← b / l): the inverse of {@link merge}. */
  unmerge(linear: Linear, _weights: number[]): void {
    this.rescale(linear, (t, l) => tf.div(t, l));
  }

  /** PEFT's tensor: `ia3_l`, [out, 1] (stored transposed) or [1, in] (stored as is). */
  tensors(): AdapterTensor[] {
    return [{ key: 'ia3_l', variable: this.scale, transpose: !this.feedforward }];
  }

  variables(): tf.Variable[] {
    return [this.scale];
  }

  parameterCount(): number {
    return this.scale.size;
  }

  dispose(): void {
    this.scale.dispose();
  }

  private rescale(linear: Linear, op: (t: tf.Tensor, l: tf.Tensor) => tf.Tensor): void {
    const bias = linear.bias;
    const scalesBias = !this.feedforward && bias !== undefined;
    if (scalesBias && !(bias instanceof tf.Variable))
      throw new Error(`${this.module}: the bias is not a variable, so (IA)³ cannot be merged into it`);
    tf.tidy(() => {
      const w = linear.weight;
      w.assign(op(w, this.feedforward ? tf.reshape(this.scale, [-1, 1]) : this.scale));
      if (scalesBias) (bias as tf.Variable).assign(op(bias as tf.Variable, tf.reshape(this.scale, [-1])));
    });
  }
}
