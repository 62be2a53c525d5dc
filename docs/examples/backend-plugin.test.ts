/**
 * Tests of the backend plugin example (docs/examples/plugins/nan-guard-backend.ts), end to end
 * through `initBackend`. tfjs's backend state is global to the process: every test leaves wasm
 * active, and the file restores the backend it started with.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  activeBackend,
  BACKEND_NAMES,
  BackendError,
  checkBackendConformance,
  createBackendRegistry,
  describeBackend,
  initBackend,
  linear,
} from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createNanGuardBackend,
  type GuardedKernel,
  NanError,
  registerNanGuardBackend,
} from './plugins/nan-guard-backend.js';

let original: string;
/** tfjs-backend-cpu's own UnsortedSegmentSum, before the package registers its fast one. */
let tfjsCpuSegmentSum: tf.KernelFunc;

beforeAll(async () => {
  original = (await initBackend()).name;
  tfjsCpuSegmentSum = tf.getKernel(tf.UnsortedSegmentSum, 'cpu')!.kernelFunc;
});

afterEach(async () => {
  await initBackend({ backend: 'wasm' });
});

afterAll(async () => {
  await initBackend({ backend: original });
  expect(activeBackend()?.name).toBe(original);
});

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 1.7));
}

/** `linear(x, W, b)` with the gradients of L = Σ r⊙y + ½ Σ y², all read back. */
async function linearStep(): Promise<Float32Array[]> {
  const x = tf.tensor3d(values(2 * 3 * 16, 1), [2, 3, 16]);
  const w = tf.tensor2d(values(16 * 8, 2), [16, 8]);
  const b = tf.tensor1d(values(8, 3));
  const r = tf.tensor3d(values(2 * 3 * 8, 4), [2, 3, 8]);
  const loss = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => {
    const y = linear(xi, wi, bi);
    return tf.add(tf.sum(tf.mul(r, y)), tf.mul(0.5, tf.sum(tf.square(y)))) as tf.Scalar;
  };
  const y = tf.tidy(() => linear(x, w, b));
  const grads = tf.grads(loss as (...t: tf.Tensor[]) => tf.Scalar)([x, w, b]);
  const out = await Promise.all([y, ...grads].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([x, w, b, r, y, ...grads]);
  return out;
}

describe('nan-guard backend plugin', () => {
  // First: it checks that activating the plugin (not an earlier cpu activation) registers them.
  it("runs the package's training kernels: its UnsortedSegmentSum makes tf.gather's gradient right", async () => {
    const registry = createBackendRegistry();
    registerNanGuardBackend({}, registry);
    // Nothing has activated cpu yet: its UnsortedSegmentSum is still tfjs's own.
    expect(tf.getKernel(tf.UnsortedSegmentSum, 'cpu')!.kernelFunc).toBe(tfjsCpuSegmentSum);
    await initBackend({ backend: 'nan-guard', registry });
    const packageKernel = tf.getKernel(tf.UnsortedSegmentSum, 'cpu')!.kernelFunc;
    expect(packageKernel).not.toBe(tfjsCpuSegmentSum);
    const guarded = tf.getKernel(tf.UnsortedSegmentSum, 'nan-guard')!.kernelFunc as GuardedKernel;
    expect(guarded.delegate).toBe(packageKernel);
    // Every cpu kernel is available under the new name.
    const kernels = (backend: string) =>
      tf
        .getKernelsForBackend(backend)
        .map((k) => k.kernelName)
        .sort();
    expect(kernels('nan-guard')).toEqual(kernels('cpu'));

    // L = Σ w ⊙ table[ids]  ⇒  dL/dtable[v] = Σ_{i: ids[i] = v} w[i]   (plain-JS reference)
    const [vocab, dim] = [7, 3];
    const ids = [4, 0, 4, 6, 1, 4];
    const w = values(ids.length * dim, 5);
    const expected = new Float64Array(vocab * dim);
    ids.forEach((v, i) => {
      for (let j = 0; j < dim; j++) expected[v * dim + j]! += w[i * dim + j]!;
    });
    const table = tf.tensor2d(values(vocab * dim, 6), [vocab, dim]);
    const idt = tf.tensor1d(ids, 'int32');
    const wt = tf.tensor2d(w, [ids.length, dim]);
    const [g] = tf.grads((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idt), wt)))([table]);
    const got = await g!.data();
    expected.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    tf.dispose([table, idt, wt, g!]);
  });

  it('registers after the built-ins, rejects a second registration and activates by name', async () => {
    const registry = createBackendRegistry();
    const plugin = registerNanGuardBackend({}, registry);
    expect(registry.names()).toEqual([...BACKEND_NAMES, 'nan-guard']);
    expect(() => registerNanGuardBackend({}, registry)).toThrow(
      /a backend named 'nan-guard' is already registered/,
    );
    // Without a position it comes last: automatic resolution still picks wasm here.
    expect((await initBackend({ registry })).name).toBe('wasm');

    const info = await initBackend({ backend: 'nan-guard', registry });
    expect(info).toMatchObject({ name: 'nan-guard', tfjsName: 'nan-guard', skipped: [] });
    expect(tf.getBackend()).toBe('nan-guard');
    expect(activeBackend()).toBe(info);
    const report = await describeBackend();
    expect(report.backend).toBe('nan-guard');
    expect(report.registered.at(-1)).toEqual({
      name: 'nan-guard',
      tfjsName: 'nan-guard',
      builtin: false,
      priority: 0,
      description: plugin.description,
    });
  });

  it('gives linear forward and backward the values of cpu (1e-5), and passes the conformance check', async () => {
    const registry = createBackendRegistry();
    registerNanGuardBackend({}, registry);
    await initBackend({ backend: 'cpu', registry });
    const onCpu = await linearStep();
    await initBackend({ backend: 'nan-guard', registry });
    const before = tf.memory().numTensors;
    const onGuard = await linearStep();
    expect(tf.memory().numTensors).toBe(before);
    expect(onGuard.map((a) => a.length)).toEqual([48, 96, 128, 8]);
    onGuard.forEach((a, i) => {
      const b = onCpu[i]!;
      for (let j = 0; j < a.length; j++)
        expect(Math.abs(a[j]! - b[j]!), `output ${i}[${j}]`).toBeLessThan(1e-5);
    });

    const report = await checkBackendConformance('nan-guard', { registry });
    expect(report.passed).toBe(true);
    expect(report.maxError).toBeLessThan(1e-5);
    expect(tf.getBackend()).toBe('nan-guard');
  });

  it('throws at the first kernel that writes a NaN, naming it; cpu carries the NaN on', async () => {
    const registry = createBackendRegistry();
    registerNanGuardBackend({}, registry);
    await initBackend({ backend: 'cpu', registry });
    const onCpu = tf.sqrt(tf.tensor1d([4, -1]));
    expect(Array.from(await onCpu.data())).toEqual([2, Number.NaN]);
    onCpu.dispose();
    await initBackend({ backend: 'nan-guard', registry });
    const x = tf.tensor1d([4, -1]);
    expect(() => tf.sqrt(x)).toThrow(NanError);
    expect(() => tf.sqrt(x)).toThrow(
      "nan-guard: kernel 'Sqrt' wrote NaN at flat index 1 of its [2] output (inputs: x [2])",
    );
    x.dispose();
  });

  it('an explicit request whose probe fails throws BackendError with the install hint', async () => {
    const registry = createBackendRegistry();
    registerNanGuardBackend(
      { name: 'nan-guard-webgpu', base: 'webgpu', basePackage: '@tensorflow/tfjs-backend-webgpu' },
      registry,
    );
    registerNanGuardBackend({ name: 'nan-guard-wasm', base: 'wasm' }, registry);
    const error = await initBackend({ backend: 'nan-guard-webgpu', registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(
      /^backend 'nan-guard-webgpu' was requested but cannot be used: .+\. To use it, install @tensorflow\/tfjs-backend-webgpu@4\.22\.0 \(nan-guard-webgpu runs on its 'webgpu' backend\)\.$/,
    );
    await expect(initBackend({ backend: 'nan-guard-wasm', registry })).rejects.toThrow(
      /the kernels of 'wasm' bind to one backend instance .*To use it, install @tensorflow\/tfjs-backend-wasm@4\.22\.0/,
    );
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.findBackendFactory('nan-guard-webgpu')).toBeNull();
  });

  it('auto-resolution honours the declared positions (before, after, priority)', async () => {
    const registry = createBackendRegistry();
    registerNanGuardBackend({ position: { before: 'wasm' } }, registry);
    expect(registry.names()).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'nan-guard', 'wasm', 'cpu']);
    const info = await initBackend({ registry });
    expect(info.name).toBe('nan-guard');
    expect(info.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu']);

    // A candidate whose probe fails is skipped with its reason; the next one in order is taken.
    const second = createBackendRegistry();
    second.register(
      createNanGuardBackend({
        name: 'nan-guard-webgpu',
        base: 'webgpu',
        basePackage: '@tensorflow/tfjs-backend-webgpu',
        position: { priority: 250 },
      }),
    );
    registerNanGuardBackend({ position: { after: 'nan-guard-webgpu' } }, second);
    expect(second.names()).toEqual([
      'tensorflow-gpu',
      'tensorflow',
      'webgpu',
      'nan-guard-webgpu',
      'nan-guard',
      'wasm',
      'cpu',
    ]);
    const picked = await initBackend({ registry: second });
    expect(picked.name).toBe('nan-guard');
    expect(picked.skipped.map((s) => s.backend)).toEqual([
      'tensorflow-gpu',
      'tensorflow',
      'webgpu',
      'nan-guard-webgpu',
    ]);
    expect(picked.skipped[3]!.reason).toMatch(/tfjs-backend-webgpu|package not installed/);
  });

  it('a plugin registered by a module preloaded with node --import reaches the program and its data-parallel workers', async () => {
    const dist = pathToFileURL(
      fileURLToPath(new URL('../../packages/gpu-backend/dist/index.js', import.meta.url)),
    ).href;
    const dir = mkdtempSync(join(tmpdir(), 'backend-preload-'));
    // The register module: a plugin that activates tfjs's cpu backend under another name.
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { registerBackend } from '${dist}';
registerBackend({ name: 'preloaded-cpu', tfjsName: 'cpu', installHint: 'install @tensorflow/tfjs-backend-cpu',
  probe: async () => {} });
`,
    );
    writeFileSync(
      join(dir, 'task.mjs'),
      `export function createStep(config, context) {
  return () => ({ grads: {}, loss: context.tf.getBackend() === 'cpu' ? 1 : 0, tokens: 1 });
}
`,
    );
    writeFileSync(
      join(dir, 'main.mjs'),
      `import { DataParallelPool, initBackend } from '${dist}';
const info = await initBackend();
const pool = await DataParallelPool.create({ workers: 1, taskModule: ${JSON.stringify(join(dir, 'task.mjs'))}, config: {}, backend: 'preloaded-cpu' });
const step = await pool.step({}, [{}]);
await pool.close();
console.log(JSON.stringify({ name: info.name, tfjsName: info.tfjsName, workerOnCpu: step.loss }));
`,
    );
    const run = promisify(execFile);
    const env = { ...process.env, HYDRALORA_BACKEND: 'preloaded-cpu' };
    const { stdout } = await run('node', ['--import', join(dir, 'register.mjs'), join(dir, 'main.mjs')], {
      env,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      name: 'preloaded-cpu',
      tfjsName: 'cpu',
      workerOnCpu: 1,
    });
    // Without the preload the name is unknown, and the error lists what is registered.
    const error = await run('node', [join(dir, 'main.mjs')], { env }).catch((e: { stderr: string }) => e);
    expect((error as { stderr: string }).stderr).toMatch(
      /unknown backend 'preloaded-cpu' \(from env HYDRALORA_BACKEND\); expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
    );
    rmSync(dir, { recursive: true, force: true });
  });
});
