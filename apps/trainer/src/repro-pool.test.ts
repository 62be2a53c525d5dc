import os from 'node:os';
import { backendRegistry } from '@hydralora/gpu-backend';
import { describe, expect, it } from 'vitest';
import { autoJobs, workerEnv } from './repro-pool.js';

describe('repro worker pool sizing', () => {
  it('runs one process per core only on backends the registry marks single-threaded', () => {
    expect(backendRegistry.get('wasm').singleThreaded).toBe(true);
    expect(backendRegistry.get('cpu').singleThreaded).toBe(true);
    expect(backendRegistry.get('tensorflow').singleThreaded).toBeUndefined();
    const cores = os.availableParallelism();
    const byMemory = Math.max(1, Math.floor(os.freemem() / (1.5 * 2 ** 30)));
    expect(autoJobs('wasm')).toBe(Math.max(1, Math.min(cores, byMemory)));
    expect(autoJobs('tensorflow-gpu')).toBe(1);
    expect(autoJobs('webgpu')).toBe(1);
    expect(autoJobs('no-such-backend')).toBe(1);
    expect(autoJobs(undefined)).toBe(1);
  });

  it('divides the BLAS threads among the worker processes and keeps a user setting', () => {
    const cores = os.availableParallelism();
    expect(workerEnv(1, {}).HYDRALORA_BLAS_THREADS).toBe(String(cores));
    expect(workerEnv(cores, {}).HYDRALORA_BLAS_THREADS).toBe('1');
    expect(workerEnv(cores * 4, {}).HYDRALORA_BLAS_THREADS).toBe('1');
    expect(Number(workerEnv(2, {}).HYDRALORA_BLAS_THREADS) * 2).toBeLessThanOrEqual(Math.max(2, cores));
    expect(workerEnv(2, { HYDRALORA_BLAS_THREADS: '3', PATH: '/x' })).toEqual({
      HYDRALORA_BLAS_THREADS: '3',
      PATH: '/x',
    });
    expect(workerEnv(2, { PATH: '/x' }).PATH).toBe('/x');
  });
});
