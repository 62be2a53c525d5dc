/**
 * The wasm backend's `BatchMatMul` and `_FusedMatMul` kernels computed by a system BLAS, in place
 * on the wasm heap: operands and output are `Float32Array` views of the `WebAssembly.Memory` at
 * the tensors' offsets, so nothing is copied. Views are created after the output is allocated
 * (allocation can grow the heap, which replaces its buffer).
 *
 * Every transpose layout is one `cblas_sgemm` call per batch item (one call in all when only `a`
 * carries a batch and is not transposed: the batch folds into the rows). Cases the BLAS path does
 * not cover (non-float32, a broadcast that is not "equal or 1", activations other than linear and
 * relu, a bias that is not [n], PReLU weights) go to the wasm kernel that was registered before.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CBLAS_NO_TRANS, CBLAS_ROW_MAJOR, CBLAS_TRANS, type Sgemm } from './library.js';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

export interface Product {
  /** Output shape. */
  shape: number[];
  m: number;
  n: number;
  k: number;
  batch: number;
  /** Whether a / b advance per batch item (false: broadcast, one matrix for all). */
  stepA: boolean;
  stepB: boolean;
}

/** Shapes of op(a)·op(b) with batch broadcasting, or null for a broadcast BLAS does not cover. */
export function productShape(
  aShape: number[],
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): Product | null {
  const ar = aShape.length;
  const br = bShape.length;
  const m = (transposeA ? aShape[ar - 1] : aShape[ar - 2])!;
  const k = (transposeA ? aShape[ar - 2] : aShape[ar - 1])!;
  const kb = (transposeB ? bShape[br - 1] : bShape[br - 2])!;
  const n = (transposeB ? bShape[br - 2] : bShape[br - 1])!;
  if (k !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${aShape} and ${bShape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(aShape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(bShape.slice(0, -2));
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return null;
  return { shape: [...outer, m, n], m, n, k, batch, stepA: batchA === batch, stepB: batchB === batch };
}

/**
 * C[i] (+)= op(A[i])·op(B[i]) for every batch item, on views of one heap. `accumulate` adds to
 * what C holds (beta = 1), else overwrites it.
 */
export function gemmBatched(
  sgemm: Sgemm,
  p: Product,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  transposeA: boolean,
  transposeB: boolean,
  accumulate: boolean,
): void {
  const { m, n, k, batch } = p;
  if (c.length === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0);
    return;
  }
  const beta = accumulate ? 1 : 0;
  const ta = transposeA ? CBLAS_TRANS : CBLAS_NO_TRANS;
  const tb = transposeB ? CBLAS_TRANS : CBLAS_NO_TRANS;
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  if (!transposeA && !p.stepB) {
    // rows of every batch item of a are contiguous and share one b: one product of batch·m rows
    sgemm(CBLAS_ROW_MAJOR, ta, tb, batch * m, n, k, 1, a, lda, b, ldb, beta, c, n);
    return;
  }
  const sizeA = m * k;
  const sizeB = k * n;
  const sizeC = m * n;
  for (let i = 0; i < batch; i++) {
    const ai = p.stepA ? a.subarray(i * sizeA, (i + 1) * sizeA) : a;
    const bi = p.stepB ? b.subarray(i * sizeB, (i + 1) * sizeB) : b;
    sgemm(
      CBLAS_ROW_MAJOR,
      ta,
      tb,
      m,
      n,
      k,
      1,
      ai,
      lda,
      bi,
      ldb,
      beta,
      c.subarray(i * sizeC, (i + 1) * sizeC),
      n,
    );
  }
}

function view(backend: WasmBackendLike, heap: ArrayBuffer, t: tf.TensorInfo): Float32Array {
  const offset = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(heap, offset, tf.util.sizeFromShape(t.shape));
}

/** Called before each product with its size (m·n·k per batch item), e.g. to pick the thread count. */
export type BeforeProduct = (p: Product) => void;

/** The BatchMatMul kernel function for `sgemm`, falling back to `fallback` where BLAS does not apply. */
export function makeBatchMatMul(
  sgemm: Sgemm,
  fallback: tf.KernelFunc,
  before: BeforeProduct = () => {},
): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    const p = productShape(a.shape, b.shape, transposeA, transposeB);
    if (!p) return fallback(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(p.shape, 'float32');
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    before(p);
    gemmBatched(
      sgemm,
      p,
      view(backend, heap, a),
      view(backend, heap, b),
      view(backend, heap, out),
      transposeA,
      transposeB,
      false,
    );
    return out;
  }) as tf.KernelFunc;
}

/** The _FusedMatMul kernel (bias [n], linear or relu activation) for `sgemm`, else `fallback`. */
export function makeFusedMatMul(
  sgemm: Sgemm,
  fallback: tf.KernelFunc,
  before: BeforeProduct = () => {},
): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
    };
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(args);
    if (preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) return fallback(args);
    const p = productShape(a.shape, b.shape, transposeA, transposeB);
    if (!p) return fallback(args);
    if (bias && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== p.n))
      return fallback(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput(p.shape, 'float32');
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const c = view(backend, heap, out);
    before(p);
    if (bias) {
      const row = view(backend, heap, bias);
      for (let r = 0; r < c.length; r += p.n) c.set(row, r);
    }
    gemmBatched(
      sgemm,
      p,
      view(backend, heap, a),
      view(backend, heap, b),
      c,
      transposeA,
      transposeB,
      bias !== undefined,
    );
    if (activation === 'relu') for (let i = 0; i < c.length; i++) if (c[i]! < 0) c[i] = 0;
    return out;
  }) as tf.KernelFunc;
}
