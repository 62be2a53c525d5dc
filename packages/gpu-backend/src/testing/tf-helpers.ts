/** Small tfjs helpers shared by the op tests. */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { blasStatus, installBlasKernels, uninstallBlasKernels } from '../blas/index.js';

/** The backends every op test runs on (both load on any machine with Node). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/**
 * The computation paths every op test runs on: cpu, pure wasm, and wasm with the native-BLAS
 * kernel pack. The last is skipped (with the reason printed) only where no BLAS library is found.
 */
export const TEST_PATHS = ['cpu', 'wasm', 'wasm+blas'] as const;
export type TestPath = (typeof TEST_PATHS)[number];

/** Why the BLAS path cannot run here (null: it can). */
export function blasUnavailable(): string | null {
  const status = blasStatus();
  return status.path
    ? null
    : `BLAS tests skipped: ${status.reason ?? 'no BLAS library found'} — install libopenblas0-pthread (apt) or set HYDRALORA_BLAS=/path/to/libopenblas.so`;
}

/** Activate a test path: its backend, with the BLAS kernels installed or removed. */
export async function useTestPath(path: TestPath): Promise<void> {
  await initBackend({ backend: path === 'cpu' ? 'cpu' : 'wasm' });
  if (path === 'wasm+blas') {
    if (!installBlasKernels()) throw new Error(blasUnavailable() ?? 'BLAS kernels did not install');
  } else uninstallBlasKernels('pure-wasm test path');
}

/** Whether a test path can run here; prints why not, once, when it cannot. */
export function testPathAvailable(path: TestPath): boolean {
  if (path !== 'wasm+blas') return true;
  const why = blasUnavailable();
  if (why) console.warn(why);
  return why === null;
}

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
