import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lora from '../__fixtures__/lora-task.mjs';
import { initBackend } from '../backend.js';
import { linear } from '../ops/linear.js';
import { bmm, matMul } from '../ops/matmul.js';
import { relativeError } from '../testing/reference.js';
import { combineGradients } from './combine.js';
import { DataParallelPool } from './pool.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '../..');
const taskModule = path.join(here, '../__fixtures__/lora-task.mjs');
const config = { inDim: 16, outDim: 12, rank: 4, alpha: 8, seed: 5 };
let workerScript: string;

beforeAll(async () => {
  // Workers run plain Node, which cannot load the TypeScript sources: bundle the worker entry
  // fresh from src (tfjs stays external and resolves from this package's node_modules, except
  // tfjs-core's registration files, bundled as in tsup.config.ts).
  const outDir = path.join(packageRoot, 'node_modules/.cache/gpu-backend-test');
  await build({
    entry: { 'parallel-worker': path.join(here, 'worker.ts') },
    outDir,
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    external: [/^@tensorflow\//],
    noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
    target: 'node20',
    dts: false,
    silent: true,
    config: false,
  });
  workerScript = path.join(outDir, 'parallel-worker.mjs');
  await initBackend({ backend: 'wasm' });
});

describe('DataParallelPool', () => {
  let pool: DataParallelPool<lora.LoraBatch>;
  afterAll(async () => {
    await pool?.close();
  });

  it('gradients from 2 workers, token-weighted, equal one process on the whole batch (1e-5)', async () => {
    pool = await DataParallelPool.create({ workers: 2, taskModule, config, workerScript });
    expect(pool.size).toBe(2);
    const params = lora.initialParams(config);
    const batch = lora.makeBatch(config, 64, 99);
    // Unequal shards, so that a plain (unweighted) average would be wrong.
    const parallel = await pool.step(params, lora.shardBatch(config, batch, [40, 24]));
    expect(parallel.tokens).toBe(64);
    expect(parallel.shards.map((s) => s.tokens)).toEqual([40, 24]);
    // The caller's parameters are not detached by the transfer.
    expect(params.loraA!.length).toBe(config.inDim * config.rank);

    const before = tf.memory().numTensors;
    const whole = await (await lora.createStep(config, { tf, linear, matMul, bmm, workerIndex: 0 }))(
      params,
      batch,
    );
    expect(tf.memory().numTensors).toBe(before + 2); // the task's frozen weight and scale
    expect(Math.abs(parallel.loss - whole.loss) / whole.loss).toBeLessThan(1e-5);
    for (const name of ['loraA', 'loraB']) {
      expect(relativeError(parallel.grads[name]!, whole.grads[name]!)).toBeLessThan(1e-5);
    }
    // And the unweighted mean differs measurably: the weighting is what makes them equal.
    const naive = parallel.shards.reduce((s, r) => s + r.loss / 2, 0);
    expect(Math.abs(naive - whole.loss) / whole.loss).toBeGreaterThan(1e-4);
  });

  it('one worker on the whole batch (a single shard) gives the same gradients as two', async () => {
    const params = lora.initialParams(config);
    const batch = lora.makeBatch(config, 32, 7);
    const one = await pool.step(params, [batch]);
    expect(one.shards).toHaveLength(1);
    const two = await pool.step(params, lora.shardBatch(config, batch, [16, 16]));
    expect(relativeError(two.grads.loraA!, one.grads.loraA!)).toBeLessThan(1e-5);
    expect(relativeError(two.grads.loraB!, one.grads.loraB!)).toBeLessThan(1e-5);
  });

  it('reports errors from the task module and bad options clearly', async () => {
    await expect(DataParallelPool.create({ workers: 0, taskModule, config, workerScript })).rejects.toThrow(
      /field 'workers' must be an integer ≥ 1, got 0/,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'dp-task-'));
    const bad = path.join(dir, 'bad-task.mjs');
    writeFileSync(bad, 'export const nothing = 1;\n');
    await expect(
      DataParallelPool.create({ workers: 1, taskModule: bad, config, workerScript }),
    ).rejects.toThrow(/must export a function createStep/);
    const throwing = path.join(dir, 'throwing-task.mjs');
    writeFileSync(
      throwing,
      "export function createStep() { return () => { throw new Error('shape mismatch in batch 3'); }; }\n",
    );
    const p = await DataParallelPool.create({ workers: 1, taskModule: throwing, config, workerScript });
    try {
      await expect(p.step({ w: new Float32Array(2) }, [{}])).rejects.toThrow(
        /data-parallel worker 0 .*throwing-task\.mjs.*shape mismatch in batch 3/,
      );
      await expect(p.step({}, [{}, {}])).rejects.toThrow(/got 2 shards for 1 workers/);
    } finally {
      await p.close();
    }
  });
});

describe('combineGradients', () => {
  it('is the token-weighted mean and validates names and lengths', () => {
    const params = { w: new Float32Array(2) };
    const out = combineGradients(
      [
        { grads: { w: Float32Array.from([1, 2]) }, loss: 1, tokens: 3 },
        { grads: { w: Float32Array.from([5, 6]) }, loss: 3, tokens: 1 },
      ],
      params,
    );
    expect(Array.from(out.grads.w!)).toEqual([2, 3]);
    expect(out.loss).toBe(1.5);
    expect(out.tokens).toBe(4);
    expect(() =>
      combineGradients([{ grads: { w: new Float32Array(3) }, loss: 0, tokens: 1 }], params),
    ).toThrow(/shard 0: grads\['w'\] has 3 values, the parameter has 2/);
    expect(() => combineGradients([{ grads: {}, loss: 0, tokens: 1 }], params)).toThrow(
      /grads\['w'\] is missing/,
    );
    expect(() =>
      combineGradients([{ grads: { w: new Float32Array(2) }, loss: 0, tokens: 0 }], params),
    ).toThrow(/field 'tokens' must be a positive number, got 0/);
  });
});
