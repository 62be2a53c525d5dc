/**
 * Slice for the wasm backend without copying the whole input.
 *
 * tfjs-backend-wasm 4.22's Slice reads its input with `readSync`, which copies the entire input
 * tensor out of the wasm heap on every call — slicing one head out of a [heads, seq, seq] tensor
 * copies all heads. Unstack/split, which attention and batched products use, call Slice once per
 * piece, so the cost grows quadratically (measured: 97 ms to unstack a [32, 256, 256] tensor).
 * This kernel reads the input through a view on the heap and copies only the slice.
 */
import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from './replace.js';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

let fallback: tf.KernelFunc | undefined;

function sliceKernel(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string' || x.dtype === 'complex64')
    return fallback!(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const backend = args.backend as WasmBackendLike;
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
  const out = backend.makeOutput(s, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (dst.length === 0) return out;
  if (rank === 0) {
    dst[0] = src[0]!;
    return out;
  }
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
    const offset = tf.slice_util.computeFlatOffset(b, strides);
    dst.set(src.subarray(offset, offset + dst.length));
    return out;
  }
  // Copy contiguous runs along the last axis, walking the outer axes like an odometer.
  const inner = s[rank - 1]!;
  const idx = new Array<number>(rank - 1).fill(0);
  let o = 0;
  for (;;) {
    let offset = b[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) offset += (b[d]! + idx[d]!) * strides[d]!;
    dst.set(src.subarray(offset, offset + inner), o);
    o += inner;
    let d = rank - 2;
    while (d >= 0) {
      idx[d]!++;
      if (idx[d]! < s[d]!) break;
      idx[d] = 0;
      d--;
    }
    if (d < 0) break;
  }
  return out;
}

export function registerWasmSlice(): void {
  const replaced = replaceKernel(tf.Slice, 'wasm', sliceKernel as tf.KernelFunc);
  if (replaced) fallback = replaced;
}
