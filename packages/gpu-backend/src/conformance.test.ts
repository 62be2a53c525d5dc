import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeBackend, initBackend } from './backend.js';
import { type BackendPlugin, createBackendRegistry } from './backends/index.js';
import { checkBackendConformance } from './conformance.js';

const KEYS = ['linear', 'bmm', 'bmm(transposeB)'].flatMap((c) =>
  c === 'linear'
    ? ['y', 'dx', 'dW', 'db'].map((g) => `${c} ${g}`)
    : ['y', 'da', 'db'].map((g) => `${c} ${g}`),
);

/**
 * A tfjs backend 'broken-cpu': cpu instances and cpu's kernels, except that BatchMatMul adds 0.01
 * to the first element of every product (the fused MatMul of linear's forward pass stays right).
 */
function brokenCpuPlugin(): BackendPlugin {
  return {
    name: 'broken-cpu',
    tfjsName: 'broken-cpu',
    installHint: 'fix the BatchMatMul kernel',
    verify() {
      (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
    },
    async probe() {
      await import('@tensorflow/tfjs-backend-cpu');
      if (tf.findBackendFactory('broken-cpu')) return;
      tf.registerBackend('broken-cpu', tf.findBackendFactory('cpu')!);
      for (const k of tf.getKernelsForBackend('cpu')) {
        const kernelFunc: tf.KernelFunc =
          k.kernelName === tf.BatchMatMul
            ? (args) => {
                const out = k.kernelFunc(args) as tf.TensorInfo;
                const backend = args.backend as { readSync(id: object): Float32Array };
                backend.readSync(out.dataId)[0]! += 0.01;
                return out;
              }
            : k.kernelFunc;
        tf.registerKernel({ ...k, backendName: 'broken-cpu', kernelFunc });
      }
    },
  };
}

describe('checkBackendConformance', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('passes wasm against cpu on every output, leaks nothing and restores the active backend', async () => {
    const before = activeBackend();
    const tensors = tf.memory().numTensors;
    const report = await checkBackendConformance('wasm');
    expect(Object.keys(report.errors)).toEqual(KEYS);
    for (const key of KEYS) expect(report.errors[key], key).toBeLessThan(1e-5);
    expect(report.maxError).toBe(Math.max(...Object.values(report.errors)));
    expect(report).toMatchObject({
      backend: 'wasm',
      reference: 'cpu',
      tolerance: 1e-5,
      leakedTensors: 0,
      passed: true,
    });
    expect(tf.getBackend()).toBe('wasm');
    expect(activeBackend()).toBe(before);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('fails a backend whose BatchMatMul is off by 0.01, and only on the outputs that use it', async () => {
    const registry = createBackendRegistry();
    registry.register(brokenCpuPlugin());
    const report = await checkBackendConformance('broken-cpu', { registry });
    expect(report.passed).toBe(false);
    // bmm's forward and backward products all go through BatchMatMul; max|y| of these inputs is
    // O(1), so an error of 0.01 in one element is a relative error well above 1e-4.
    for (const key of ['bmm y', 'bmm da', 'bmm db', 'bmm(transposeB) y']) {
      expect(report.errors[key], key).toBeGreaterThan(1e-4);
    }
    // linear's forward pass is a fused MatMul, a different kernel.
    expect(report.errors['linear y']).toBeLessThan(1e-5);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects a negative tolerance and unknown names', async () => {
    await expect(checkBackendConformance('wasm', { tolerance: -1 })).rejects.toThrow(
      /option 'tolerance' must be a number ≥ 0, got -1/,
    );
    await expect(checkBackendConformance('tpu')).rejects.toThrow(/unknown backend 'tpu'/);
    expect(tf.getBackend()).toBe('wasm');
  });
});
