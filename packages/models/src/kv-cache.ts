/**
 * Key/value cache for incremental decoding: per layer, the rotated keys and the values of every
 * token seen so far, [batch, kvHeads, length, headDim]. The cache owns its tensors (kept out of
 * any surrounding `tf.tidy`); call `dispose()` when done.
 */
import * as tf from '@tensorflow/tfjs-core';

export class KVCache {
  private readonly keys: (tf.Tensor | undefined)[];
  private readonly values: (tf.Tensor | undefined)[];
  /**
   * How many of the cached positions are virtual tokens of a prompt-learning adapter (placed
   * first by the model on the call that filled the empty cache); 0 otherwise.
   */
  virtualLength = 0;

  constructor(readonly numLayers: number) {
    this.keys = new Array(numLayers).fill(undefined);
    this.values = new Array(numLayers).fill(undefined);
  }

  /** Number of cached positions, virtual tokens included (0 when empty). */
  get length(): number {
    const k = this.keys[0];
    return k ? (k.shape[2] as number) : 0;
  }

  /** Batch size of the cached tensors, or undefined when empty. */
  get batchSize(): number | undefined {
    return this.keys[0]?.shape[0];
  }

  /**
   * Append this call's keys and values for `layer` and return the full ones (past + new).
   * The returned tensors belong to the cache.
   */
  update(layer: number, k: tf.Tensor, v: tf.Tensor): { k: tf.Tensor; v: tf.Tensor } {
    const pastK = this.keys[layer];
    const pastV = this.values[layer];
    const fullK = tf.keep(pastK ? tf.concat([pastK, k], 2) : tf.clone(k));
    const fullV = tf.keep(pastV ? tf.concat([pastV, v], 2) : tf.clone(v));
    pastK?.dispose();
    pastV?.dispose();
    this.keys[layer] = fullK;
    this.values[layer] = fullV;
    return { k: fullK, v: fullV };
  }

  /** Free every cached tensor; the cache is empty afterwards. */
  dispose(): void {
    for (let i = 0; i < this.numLayers; i++) {
      this.keys[i]?.dispose();
      this.values[i]?.dispose();
      this.keys[i] = undefined;
      this.values[i] = undefined;
    }
    this.virtualLength = 0;
  }
}
