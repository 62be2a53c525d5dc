/**
 * Identity for the wasm backend without a copy.
 *
 * tfjs-backend-wasm 4.22's Identity copies its input into a new heap buffer. tfjs calls Identity to
 * clone every tensor it saves for backpropagation, so on wasm each saved activation was held
 * twice (measured: a LoRA step of the 10M-parameter model at batch 8 × 256 peaked at 1.9 GiB of
 * tensors). Tensors are immutable, so the clone can share the input's buffer, as the cpu backend's
 * Identity does: one more reference, no bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './replace.js';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

let fallback: tf.KernelFunc | undefined;

function identityKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string') return fallback!(args) as tf.TensorInfo;
  (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export function registerWasmIdentity(): void {
  const replaced = replaceKernel(tf.Identity, 'wasm', identityKernel as tf.KernelFunc);
  if (replaced) fallback = replaced;
}
