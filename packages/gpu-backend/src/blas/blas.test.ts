/**
 * Conformance of the native-BLAS kernel pack: every kernel it replaces, for every transpose layout
 * and batch broadcast, against the pure-wasm kernels (≤ 1e-5 relative) and a float64 reference;
 * the same after the wasm heap grows; and the fallback (no BLAS, HYDRALORA_BLAS=off, a bad path).
 * The BLAS half is skipped, with the reason printed, only where no BLAS library is found.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { backendRegistry } from '../backends/index.js';
import { productStrategy } from '../ops/layout.js';
import { randomArray, refMatMul, relativeError, rng } from '../testing/reference.js';
import { blasUnavailable, readAll, tensorOf } from '../testing/tf-helpers.js';
import {
  BlasError,
  blasKernelsActive,
  blasStatus,
  findBlas,
  installBlasKernels,
  uninstallBlasKernels,
} from './index.js';

const skipReason = blasUnavailable();
if (skipReason) console.warn(skipReason);

interface Case {
  name: string;
  a: number[];
  b: number[];
  tA: boolean;
  tB: boolean;
}

const CASES: Case[] = [];
for (const [tA, tB] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const) {
  const layout = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
  const a = (lead: number[], m: number, k: number) => [...lead, ...(tA ? [k, m] : [m, k])];
  const b = (lead: number[], k: number, n: number) => [...lead, ...(tB ? [n, k] : [k, n])];
  CASES.push({ name: `2-D ${layout} 37×19·19×23`, a: a([], 37, 19), b: b([], 19, 23), tA, tB });
  CASES.push({ name: `batched ${layout} [6]`, a: a([6], 17, 8), b: b([6], 8, 13), tA, tB });
  CASES.push({ name: `batched ${layout} [2,3]`, a: a([2, 3], 5, 7), b: b([2, 3], 7, 4), tA, tB });
  CASES.push({ name: `broadcast b ${layout} [4]·[1]`, a: a([4], 9, 6), b: b([1], 6, 5), tA, tB });
  CASES.push({ name: `broadcast a ${layout} [1]·[3]`, a: a([1], 9, 6), b: b([3], 6, 5), tA, tB });
}

/** op(a)·op(b) for float64 data with batch broadcasting of size-1 batches (the reference). */
function reference(a: Float64Array, c: Case, b: Float64Array): Float64Array {
  const lead = (s: number[]) => s.slice(0, -2).reduce((p, d) => p * d, 1);
  const batch = Math.max(lead(c.a), lead(c.b));
  const mat = (s: number[]) => s.slice(-2);
  const sizeA = mat(c.a).reduce((p, d) => p * d, 1);
  const sizeB = mat(c.b).reduce((p, d) => p * d, 1);
  const parts: Float64Array[] = [];
  for (let i = 0; i < batch; i++) {
    const ai = a.subarray((lead(c.a) === 1 ? 0 : i) * sizeA, (lead(c.a) === 1 ? 1 : i + 1) * sizeA);
    const bi = b.subarray((lead(c.b) === 1 ? 0 : i) * sizeB, (lead(c.b) === 1 ? 1 : i + 1) * sizeB);
    parts.push(refMatMul(ai, mat(c.a), bi, mat(c.b), c.tA, c.tB).data);
  }
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Run `f` on the pure-wasm kernels, then on the BLAS kernels; returns both outputs. */
async function bothPaths(f: () => tf.Tensor): Promise<{ wasm: Float32Array; blas: Float32Array }> {
  uninstallBlasKernels('pure-wasm half of a conformance test');
  expect(blasKernelsActive()).toBe(false);
  const [wasm] = await readAll([f()]);
  expect(installBlasKernels()).toBe(true);
  expect(blasKernelsActive()).toBe(true);
  const [blas] = await readAll([f()]);
  return { wasm: wasm!, blas: blas! };
}

describe.skipIf(skipReason !== null)('BLAS kernel pack on wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    expect(installBlasKernels()).toBe(true);
  });
  afterAll(() => {
    installBlasKernels();
  });

  it('is installed by initBackend through the registry and makes products native', () => {
    expect(backendRegistry.kernelPacks('wasm').map((p) => p.name)).toContain('blas');
    const status = blasStatus();
    expect(status.active).toBe(true);
    expect(status.path).toMatch(/blas|Accelerate|mkl/i);
    expect(status.threads).toBeGreaterThanOrEqual(1);
    expect(productStrategy()).toBe('native');
  });

  for (const c of CASES) {
    it(`BatchMatMul ${c.name} matches pure wasm (1e-5) and float64`, async () => {
      const random = rng(c.name.length * 7 + c.a.length);
      const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
      const a = randomArray(size(c.a), random);
      const b = randomArray(size(c.b), random);
      const before = tf.memory().numTensors;
      const at = tensorOf(a, c.a);
      const bt = tensorOf(b, c.b);
      const { wasm, blas } = await bothPaths(() => tf.matMul(at, bt, c.tA, c.tB));
      tf.dispose([at, bt]);
      expect(tf.memory().numTensors).toBe(before);
      expect(relativeError(blas, wasm)).toBeLessThan(1e-5);
      expect(relativeError(blas, reference(a, c, b))).toBeLessThan(1e-5);
    });
  }

  it('_FusedMatMul with bias (linear and relu) matches pure wasm (1e-5) and float64', async () => {
    const random = rng(5);
    const [m, k, n] = [33, 20, 17];
    const a = randomArray(m * k, random);
    const b = randomArray(k * n, random);
    const bias = randomArray(n, random);
    const at = tensorOf(a, [m, k]);
    const bias1 = tensorOf(bias, [n]);
    for (const transposeB of [false, true]) {
      const bShape = transposeB ? [n, k] : [k, n];
      const bt = tensorOf(b, bShape);
      for (const activation of ['linear', 'relu'] as const) {
        const { wasm, blas } = await bothPaths(() =>
          tf.fused.matMul({ a: at, b: bt, transposeB, bias: bias1, activation }),
        );
        const ref = refMatMul(a, [m, k], b, bShape, false, transposeB).data.map((v, i) => {
          const y = v + bias[i % n]!;
          return activation === 'relu' ? Math.max(0, y) : y;
        });
        expect(relativeError(blas, ref)).toBeLessThan(1e-5);
        // tfjs-backend-wasm 4.22's own _FusedMatMul is wrong with transposeB and a bias
        // (relative error 0.3 against float64): compare with it only where it is right.
        if (!transposeB) expect(relativeError(blas, wasm)).toBeLessThan(1e-5);
        else expect(relativeError(wasm, ref)).toBeGreaterThan(1e-2);
      }
      bt.dispose();
    }
    tf.dispose([at, bias1]);
  });

  it('gradients of a fused product with bias match pure wasm (1e-5)', async () => {
    const random = rng(9);
    const x = tensorOf(randomArray(12 * 6, random), [12, 6]);
    const w = tensorOf(randomArray(6 * 5, random), [6, 5]);
    const bias = tensorOf(randomArray(5, random), [5]);
    const r = tensorOf(randomArray(12 * 5, random), [12, 5]);
    const loss = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi }), r));
    for (let i = 0; i < 3; i++) {
      const { wasm, blas } = await bothPaths(() => tf.grads(loss)([x, w, bias])[i]!);
      expect(relativeError(blas, wasm)).toBeLessThan(1e-5);
    }
    tf.dispose([x, w, bias, r]);
  });

  it('stays correct after the wasm heap grows (views are re-created on the new buffer)', async () => {
    const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
    const random = rng(3);
    const a = randomArray(64 * 32, random);
    const b = randomArray(32 * 48, random);
    const at = tensorOf(a, [64, 32]);
    const bt = tensorOf(b, [32, 48]);
    const first = heap();
    const grow = tf.zeros([Math.ceil(first.byteLength / 4) + 1]); // larger than the heap: must grow it
    expect(heap()).not.toBe(first);
    const [y] = await readAll([tf.matMul(at, bt)]);
    expect(relativeError(y!, refMatMul(a, [64, 32], b, [32, 48], false, false).data)).toBeLessThan(1e-5);
    tf.dispose([at, bt, grow]);
  });

  it('falls back to the wasm kernel for a broadcast it does not cover ([2,1]·[1,3] batches)', async () => {
    const random = rng(4);
    const c: Case = { name: 'cross broadcast', a: [2, 1, 3, 4], b: [1, 3, 4, 2], tA: false, tB: false };
    const a = randomArray(2 * 12, random);
    const b = randomArray(3 * 8, random);
    const at = tensorOf(a, c.a);
    const bt = tensorOf(b, c.b);
    const { wasm, blas } = await bothPaths(() => tf.matMul(at, bt));
    expect(Array.from(blas)).toEqual(Array.from(wasm));
    tf.dispose([at, bt]);
  });
});

describe('without a BLAS (fallback)', () => {
  const saved = process.env.HYDRALORA_BLAS;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.HYDRALORA_BLAS;
    else process.env.HYDRALORA_BLAS = saved;
    installBlasKernels();
  });

  it('HYDRALORA_BLAS=off keeps the wasm kernels and the NN-layout strategy, and says why', async () => {
    uninstallBlasKernels();
    process.env.HYDRALORA_BLAS = 'off';
    expect(installBlasKernels()).toBe(false);
    expect(blasKernelsActive()).toBe(false);
    expect(productStrategy()).toBe('nn-only');
    const status = blasStatus();
    expect(status).toMatchObject({ active: false, path: null, reason: 'disabled by HYDRALORA_BLAS=off' });
    // products still work (pure wasm)
    const [y] = await readAll([tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]))]);
    expect(Array.from(y!)).toEqual([11]);
  });

  it('no library among the candidates: not found, with the names tried', () => {
    const search = findBlas({}, ['/nonexistent/libopenblas.so.0', 'libdoes-not-exist.so']);
    expect(search.found).toBe(false);
    if (!search.found) {
      expect(search.reason).toMatch(/no BLAS library found \(tried 2 names\)/);
      expect(search.tried).toEqual(['/nonexistent/libopenblas.so.0', 'libdoes-not-exist.so']);
    }
  });

  it('HYDRALORA_BLAS=<bad path> is an error naming the variable and value', () => {
    expect(() => findBlas({ HYDRALORA_BLAS: '/nonexistent/libfoo.so' })).toThrow(BlasError);
    expect(() => findBlas({ HYDRALORA_BLAS: '/nonexistent/libfoo.so' })).toThrow(
      /env HYDRALORA_BLAS = "\/nonexistent\/libfoo.so": cannot load/,
    );
    // a library without cblas_sgemm (libm) is rejected as not a CBLAS library
    if (process.platform === 'linux') {
      expect(() => findBlas({ HYDRALORA_BLAS: 'libm.so.6' })).toThrow(/no cblas_sgemm symbol/);
    }
  });
});
