import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { activeBackend, BackendError, describeBackend, initBackend } from './backend.js';

afterEach(() => {
  delete process.env.HYDRALORA_BACKEND;
});

describe('initBackend', () => {
  it('auto-resolves to wasm here, recording why the native and webgpu backends were skipped', async () => {
    const info = await initBackend();
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu']);
    expect(activeBackend()).toBe(info);
  });

  it.each([
    ['tensorflow', /@tensorflow\/tfjs-node@4\.22\.0/],
    ['webgpu', /@tensorflow\/tfjs-backend-webgpu@4\.22\.0 and webgpu/],
    ['tensorflow-gpu', /@tensorflow\/tfjs-node-gpu@4\.22\.0/],
  ] as const)(
    'an explicit %s request that cannot be met throws BackendError naming what to install',
    async (name, hint) => {
      await initBackend({ backend: 'wasm' });
      const error = await initBackend({ backend: name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect((error as Error).message).toMatch(
        new RegExp(`backend '${name}' was requested but cannot be used`),
      );
      expect((error as Error).message).toMatch(hint);
      // The backend that was active stays active and verified.
      expect(tf.getBackend()).toBe('wasm');
    },
  );

  it('honours HYDRALORA_BACKEND and switches between cpu and wasm', async () => {
    process.env.HYDRALORA_BACKEND = 'cpu';
    expect((await initBackend()).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(await tf.sum(x).data())).toEqual([6]);
    x.dispose();
    expect((await initBackend({ backend: 'wasm' })).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects unknown names, saying where the name came from', async () => {
    await expect(initBackend({ backend: 'cuda' as never })).rejects.toThrow(
      /unknown backend 'cuda'; expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
    );
    process.env.HYDRALORA_BACKEND = 'tpu';
    await expect(initBackend()).rejects.toThrow(/unknown backend 'tpu' \(from env HYDRALORA_BACKEND\)/);
  });
});

describe('describeBackend', () => {
  it('reports backend, version, threads, SIMD and memory of the active backend', async () => {
    await initBackend({ backend: 'wasm' });
    const x = tf.zeros([256]);
    const report = await describeBackend();
    expect(report.backend).toBe('wasm');
    expect(report.tfjsBackend).toBe('wasm');
    expect(report.version).toBe(tf.version_core);
    expect(report.threads).toBe(1);
    expect(typeof report.simd).toBe('boolean');
    expect(report.memory.tensors).toBe(tf.memory().numTensors);
    expect(report.memory.heapBytes).toBeGreaterThan(0);
    expect(report.memory.budgetBytes).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    x.dispose();
    await initBackend({ backend: 'cpu' });
    const cpu = await describeBackend();
    expect(cpu.backend).toBe('cpu');
    expect(cpu.simd).toBeNull();
    expect(cpu.memory.heapBytes).toBeNull();
  });
});
