/**
 * Which matrix-product layouts are fast on the active backend.
 *
 * Measured on tfjs-backend-wasm 4.22 (XNNPACK, SIMD, one thread): NN products ≈ 30 GFLOP/s, the
 * same product with transposeA/transposeB 0.4–2.3 GFLOP/s, and BatchMatMul ≈ 2 GFLOP/s while the
 * same work as separate 2-D NN products is ≈ 4× faster. On those backends (and the pure-JS cpu
 * backend, whose transposed products are also slower) we therefore materialise transposes (a copy,
 * O(n²), against the product's O(n³)) and split batched products into 2-D ones. Native TensorFlow
 * and WebGPU handle every layout natively, so there we pass the flags through — and so on wasm
 * when the native-BLAS kernel pack (blas/) computes its products: BLAS is as fast for every layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blasKernelsActive } from '../blas/index.js';

export type ProductStrategy = 'nn-only' | 'native';

let override: ProductStrategy | undefined;

/** Force a strategy (tests and benchmarks); `undefined` returns to automatic choice. */
export function setProductStrategy(strategy: ProductStrategy | undefined): void {
  override = strategy;
}

export function productStrategy(): ProductStrategy {
  if (override) return override;
  const name = tf.getBackend();
  if (name === 'wasm') return blasKernelsActive() ? 'native' : 'nn-only';
  return name === 'cpu' ? 'nn-only' : 'native';
}

/** Swap the last two axes (a materialised copy). */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const rank = x.rank;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return tf.transpose(x, perm);
}

/** The function type `tf.customGrad` takes (tfjs does not export it by name). */
export type CustomGradFunc = Parameters<typeof tf.customGrad>[0];
