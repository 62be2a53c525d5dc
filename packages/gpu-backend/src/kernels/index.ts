/**
 * Kernels that training needs and a backend lacks (or has in an unusably slow form).
 * One file per kernel; this file registers them for the backends that need them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerFusedKernels } from '../fused/index.js';
import { registerWasmCast } from './cast-wasm.js';
import { registerWasmIdentity } from './identity-wasm.js';
import { registerWasmSlice } from './slice-wasm.js';
import { registerUnsortedSegmentSum } from './unsorted-segment-sum.js';

export { segmentSumInto } from './unsorted-segment-sum.js';

/**
 * Register the training kernels for backend `name` (default: the active backend; idempotent). Only
 * wasm and cpu need any; for other names this does nothing. A plugin backend that runs on cpu or
 * wasm instances can call it for that base before copying the base's kernels.
 */
export function registerTrainingKernels(name: string = tf.getBackend()): void {
  if (name === 'wasm' || name === 'cpu') {
    registerUnsortedSegmentSum(name);
    registerFusedKernels(name);
  }
  if (name === 'wasm') {
    registerWasmSlice();
    registerWasmIdentity();
    registerWasmCast();
  }
}
