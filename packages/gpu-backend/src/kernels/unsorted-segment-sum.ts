/**
 * UnsortedSegmentSum for the wasm and cpu backends.
 *
 * It is what the gradient of `tf.gather` (embedding lookups) runs. tfjs-backend-wasm 4.22 has no
 * such kernel (the gather gradient throws), and the cpu backend's own implementation builds one
 * mask tensor per segment — minutes and gigabytes at a vocabulary of a few thousand. This one is a
 * single O(n) pass over the data in plain JS, reading and writing the backend's memory directly.
 */
import * as tf from '@tensorflow/tfjs-core';

type AnyBackend = {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeOutput?: (shape: number[], dtype: tf.DataType) => tf.TensorInfo;
  typedArrayFromHeap?: (info: tf.TensorInfo) => Float32Array | Int32Array;
  makeTensorInfo?: (
    shape: number[],
    dtype: tf.DataType,
    values?: tf.backend_util.BackendValues,
  ) => tf.TensorInfo;
};

/** out[s, :] = Σ_{i : ids[i] = s} x[i, :]; ids outside [0, numSegments) are dropped (as in TF). */
export function segmentSumInto(
  x: Float32Array | Int32Array,
  ids: Int32Array | Float32Array | Uint8Array,
  inner: number,
  out: Float32Array | Int32Array,
): void {
  const numSegments = out.length / inner;
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!;
  }
}

function kernelFunc({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const b = backend as AnyBackend;
  const idRank = segmentIds.shape.length;
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const inner = outShape.slice(1).reduce((a, d) => a * d, 1);
  // On wasm, read through views on the heap (readSync would copy the whole tensor).
  const view = b.typedArrayFromHeap;
  const xs = (view ? view.call(b, x) : b.readSync(x.dataId)) as Float32Array | Int32Array;
  const ids = (view ? view.call(b, segmentIds) : b.readSync(segmentIds.dataId)) as Int32Array;
  const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
  if (b.makeOutput && b.typedArrayFromHeap) {
    const out = b.makeOutput(outShape, dtype);
    segmentSumInto(xs, ids, inner, b.typedArrayFromHeap(out));
    return out;
  }
  const values =
    dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  segmentSumInto(xs, ids, inner, values);
  return b.makeTensorInfo!(outShape, dtype, values);
}

export function registerUnsortedSegmentSum(backendName: 'wasm' | 'cpu'): void {
  const existing = tf.getKernel(tf.UnsortedSegmentSum, backendName);
  if (existing?.kernelFunc === (kernelFunc as tf.KernelFunc)) return;
  if (existing) tf.unregisterKernel(tf.UnsortedSegmentSum, backendName);
  tf.registerKernel({
    kernelName: tf.UnsortedSegmentSum,
    backendName,
    kernelFunc: kernelFunc as tf.KernelFunc,
  });
}
