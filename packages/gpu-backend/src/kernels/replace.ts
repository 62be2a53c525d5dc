import * as tf from '@tensorflow/tfjs-core';

/**
 * Register `kernelFunc` as `kernelName` for `backendName` in place of the kernel there (idempotent);
 * returns the kernel function it replaced (undefined if there was none), for fallbacks.
 */
export function replaceKernel(
  kernelName: string,
  backendName: string,
  kernelFunc: tf.KernelFunc,
): tf.KernelFunc | undefined {
  const existing = tf.getKernel(kernelName, backendName);
  if (existing?.kernelFunc === kernelFunc) return undefined;
  if (existing) tf.unregisterKernel(kernelName, backendName);
  tf.registerKernel({ kernelName, backendName, kernelFunc });
  return existing?.kernelFunc;
}
