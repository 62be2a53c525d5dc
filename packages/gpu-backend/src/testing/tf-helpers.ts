/** Small tfjs helpers shared by the op tests. */
import * as tf from '@tensorflow/tfjs-core';

/** The backends every op test runs on (both load on any machine with Node). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/** A float32 tensor holding float64 reference values. */
export function tensorOf(values: Float64Array, shape: number[]): tf.Tensor {
  return tf.tensor(Float32Array.from(values), shape, 'float32');
}

/** The test loss Σ r⊙y + ½ Σ y² (see refLoss) in tfjs. */
export function tfLoss(y: tf.Tensor, r: tf.Tensor): tf.Scalar {
  return tf.add(tf.sum(tf.mul(r, y)), tf.mul(tf.scalar(0.5), tf.sum(tf.square(y)))) as tf.Scalar;
}

/** Read every tensor's values and dispose the tensors. */
export async function readAll(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  const out = await Promise.all(tensors.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(tensors);
  return out;
}

/** Names of the kernels a function runs (for "which products ran" checks). */
export async function kernelNames(f: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(f);
  tf.dispose(info.result);
  return info.kernels.map((k) => k.name);
}
