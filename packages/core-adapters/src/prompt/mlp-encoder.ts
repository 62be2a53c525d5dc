/** A small MLP prompt encoder (P-tuning's MLP head, prefix tuning's projection), PEFT's module names. */
import { linear } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../io/safetensors.js';
import { kaimingUniform } from '../layer/init.js';
import type { ForwardContext } from '../model-types.js';
import type { PromptEncoder } from './module.js';

/** One Linear of the MLP: PEFT's module name (`mlp_head.0`, `transform.2`, …) and its sizes. */
export interface MlpLayerSpec {
  name: string;
  inFeatures: number;
  outFeatures: number;
}

interface MlpLayer extends MlpLayerSpec {
  /** [in, out] (kernel layout; PyTorch's [out, in] transposed). */
  weight: tf.Variable;
  bias: tf.Variable;
}

/** Linear → act → Linear → … → Linear, each Linear with a bias, PyTorch's default initialisation. */
export class MlpEncoder implements PromptEncoder {
  private readonly layers: MlpLayer[];

  constructor(
    specs: readonly MlpLayerSpec[],
    readonly activation: 'relu' | 'tanh',
    seed: number,
  ) {
    this.layers = specs.map((spec, i) =>
      tf.tidy(() => {
        const bound = 1 / Math.sqrt(spec.inFeatures);
        return {
          ...spec,
          weight: tf.variable(
            kaimingUniform([spec.inFeatures, spec.outFeatures], spec.inFeatures, seed + 2 * i),
            true,
          ),
          bias: tf.variable(
            tf.randomUniform([spec.outFeatures], -bound, bound, 'float32', seed + 2 * i + 1),
            true,
          ),
        };
      }),
    );
  }

  forward(input: tf.Tensor2D, _ctx: ForwardContext): tf.Tensor2D {
    let x: tf.Tensor = input;
    this.layers.forEach((layer, i) => {
      x = linear(x, layer.weight, layer.bias);
      if (i < this.layers.length - 1) x = this.activation === 'relu' ? tf.relu(x) : tf.tanh(x);
    });
    return x as tf.Tensor2D;
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.weight, l.bias]);
  }

  assignTorch(tensors: Record<string, HostTensor>, source: string): void {
    for (const layer of this.layers) {
      const w = tensors[`${layer.name}.weight`];
      const b = tensors[`${layer.name}.bias`];
      const expectW = [layer.outFeatures, layer.inFeatures];
      if (!w || w.shape.join(',') !== expectW.join(','))
        throw new Error(
          `${source}: tensor '${layer.name}.weight' must be [${expectW}], got ${w ? `[${w.shape}]` : 'none'}`,
        );
      if (!b || b.shape.join(',') !== String(layer.outFeatures))
        throw new Error(
          `${source}: tensor '${layer.name}.bias' must be [${layer.outFeatures}], got ${b ? `[${b.shape}]` : 'none'}`,
        );
      tf.tidy(() => {
        layer.weight.assign(tf.transpose(tf.tensor2d(w.data, expectW as [number, number])));
        layer.bias.assign(tf.tensor1d(b.data));
      });
    }
  }

  dispose(): void {
    for (const l of this.layers) {
      l.weight.dispose();
      l.bias.dispose();
    }
  }
}
