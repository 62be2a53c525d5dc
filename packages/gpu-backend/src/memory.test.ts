import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { installMemoryBudget, MemoryBudgetError, memoryBudget, WASM_HEAP_CAP_BYTES } from './memory.js';

const MiB = 1024 ** 2;

describe('wasm memory budget', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => installMemoryBudget());

  it('tracks live bytes of allocations', () => {
    const start = memoryBudget().liveBytes!;
    const x = tf.zeros([1024, 1024]);
    expect(memoryBudget().liveBytes! - start).toBeGreaterThanOrEqual(4 * MiB);
    x.dispose();
    expect(memoryBudget().liveBytes).toBe(start);
  });

  it('an over-large allocation throws a clear MemoryBudgetError and leaves existing tensors intact', async () => {
    installMemoryBudget({ budgetBytes: 64 * MiB });
    expect(memoryBudget().budgetBytes).toBe(64 * MiB);
    const keep = tf.tensor1d(Float32Array.from({ length: 1000 }, (_, i) => i * 0.5));
    const tensors = tf.memory().numTensors;
    let error: unknown;
    try {
      tf.tidy(() => tf.add(tf.zeros([(48 * MiB) / 4]), tf.scalar(1)));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MemoryBudgetError);
    expect((error as Error).message).toMatch(
      /allocating 48\.0 MiB would exceed the memory budget .* of 64\.0 MiB/,
    );
    expect((error as Error).message).toMatch(/HYDRALORA_MEMORY_BUDGET_MB/);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Array.from(await keep.data())).toEqual(Array.from({ length: 1000 }, (_, i) => i * 0.5));
    // Below the budget allocation still works.
    const small = tf.zeros([(4 * MiB) / 4]);
    expect(small.size).toBe(MiB);
    tf.dispose([keep, small]);
  });

  it('rejects a budget above the wasm heap cap and a malformed env value', () => {
    expect(() => installMemoryBudget({ budgetBytes: WASM_HEAP_CAP_BYTES + 1 })).toThrow(
      /exceeds the wasm heap cap/,
    );
    const saved = process.env.HYDRALORA_MEMORY_BUDGET_MB;
    process.env.HYDRALORA_MEMORY_BUDGET_MB = 'lots';
    try {
      expect(() => installMemoryBudget()).toThrow(
        /HYDRALORA_MEMORY_BUDGET_MB must be a positive number of MiB, got 'lots'/,
      );
      process.env.HYDRALORA_MEMORY_BUDGET_MB = '100';
      installMemoryBudget();
      expect(memoryBudget().budgetBytes).toBe(100 * MiB);
    } finally {
      if (saved === undefined) delete process.env.HYDRALORA_MEMORY_BUDGET_MB;
      else process.env.HYDRALORA_MEMORY_BUDGET_MB = saved;
    }
  });
});
