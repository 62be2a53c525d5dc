/**
 * Cast for the wasm backend without a copy when the dtype does not change.
 *
 * tfjs-backend-wasm 4.22's Cast always copies its input, and tfjs's gradients call
 * `cast(x, 'float32')` on float32 tensors everywhere (Multiply's gradient casts both operands), so
 * a training step made dozens of full-size copies for nothing (measured: 12 ms of a 650 ms step of
 * the 10M-parameter bench for the MLP's [4, 256, 688] casts alone). A same-dtype cast shares the
 * input's buffer (one more reference, as the wasm Identity here does); a real conversion goes to the
 * wasm kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './replace.js';

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

let fallback: tf.KernelFunc | undefined;

function castKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
  if (x.dtype !== dtype || dtype === 'string' || dtype === 'complex64') {
    return fallback!(args) as tf.TensorInfo;
  }
  (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

export function registerWasmCast(): void {
  const replaced = replaceKernel(tf.Cast, 'wasm', castKernel as tf.KernelFunc);
  if (replaced) fallback = replaced;
}
