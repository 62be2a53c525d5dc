/**
 * Kernels that training needs and a backend lacks (or has in an unusably slow form).
 * One file per kernel; this file registers them for the backends that need them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmSlice } from './slice-wasm.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';

export { segmentSumInto } from './unsorted-segment-sum.js';

/** Register the training kernels for the active backend (idempotent). */
export function registerTrainingKernels(): void {
  const name = tf.getBackend();
  if (name === 'wasm' || name === 'cpu') registerUnsortedSegmentSum(name);
  if (name === 'wasm') registerWasmSlice();
}
