/** Full fine-tuning's module: the model's own weights, made trainable in place. */
import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterTensor, WholeModelModule } from '../../layer/module-layer.js';
import type { AdaptableModel } from '../../model-types.js';

export class FullFineTuning implements WholeModelModule {
  private readonly params: () => Map<string, tf.Variable>;
  private readonly setTrainable: (trainable: boolean) => void;

  constructor(
    private readonly model: AdaptableModel,
    source: string,
  ) {
    const { parameters, setTrainable } = model;
    if (!parameters || !setTrainable) {
      throw new Error(
        `${source}: method 'full' trains the model's own weights, but the model has no parameters()/setTrainable() hooks`,
      );
    }
    this.params = () => parameters.call(model);
    this.setTrainable = (t) => setTrainable.call(model, t);
    this.setTrainable(true);
  }

  /**
   * Every parameter under its Hugging Face name; linear weights ([in, out] inside) are stored
   * transposed, as the checkpoint holds them ([out, in]); vectors and the embedding as they are.
   */
  tensors(): AdapterTensor[] {
    const linearWeights = new Map<tf.Variable, string>();
    for (const [name, linear] of this.model.namedLinears())
      linearWeights.set(linear.weight, `${name}.weight`);
    return [...this.params()].map(([key, variable]) => ({
      key,
      variable,
      transpose: linearWeights.get(variable) === key && variable.rank === 2,
    }));
  }

  namedVariables(): Map<string, tf.Variable> {
    return this.params();
  }

  parameterCount(): number {
    let n = 0;
    for (const v of this.params().values()) n += v.size;
    return n;
  }

  /** Freeze the weights again (their trained values stay in the model). */
  dispose(): void {
    this.setTrainable(false);
  }
}
