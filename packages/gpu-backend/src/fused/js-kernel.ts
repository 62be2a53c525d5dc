/**
 * Fused kernels written in JavaScript over the backend's own memory, for the wasm and cpu
 * backends: one pass over views of the inputs and outputs (wasm: `Float32Array` views of the
 * `WebAssembly.Memory` at the tensors' offsets; cpu: the tensors' value arrays), no copies.
 *
 * They replace chains of element-wise kernels whose cost on wasm is the number of passes and
 * allocations, not the arithmetic (the SwiGLU backward was ten kernels over [tokens, ffn], the
 * attention softmax backward four over [batch, heads, seq, seq], AdamW ~17 per parameter).
 * Transcendental functions over large tensors stay in XNNPACK's vectorised kernels (Sigmoid,
 * Softmax): V8's `Math.exp` is ~6× slower per element; only short rows (a router's N heads) and
 * `Math.sqrt` (one instruction) run here.
 *
 * On other backends (webgl, webgpu, tensorflow, plugins) no such kernel is registered and every op
 * built on these runs its composite form from tfjs ops instead: same results, the backend's speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type SimdKernels, simdKernels, wasmMemoryOf } from './simd.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];

export interface JsKernel {
  /** Kernel name (`runKernel`'s first argument); prefixed `Hydra` to keep clear of tfjs's names. */
  name: string;
  /** Input names in the order `run` receives them. */
  inputs: readonly string[];
  /** Output shapes from the input shapes and attributes (every output is float32). */
  outputShapes(shapes: number[][], attrs: Record<string, unknown>): number[][];
  /**
   * Compute: read `inputs`, write every element of every output (outputs start uninitialised on
   * wasm). Returns nothing; a kernel that wants to report a number writes it into an output.
   */
  run(
    inputs: Float32Array[],
    outputs: Float32Array[],
    shapes: number[][],
    attrs: Record<string, unknown>,
  ): void;
  /**
   * The same computation by the SIMD module on the wasm backend (see simd.ts): `ptrs` are the byte
   * offsets of the inputs, then of the outputs. Optional; without it (or without SIMD) `run` runs.
   */
  simd?(kernels: SimdKernels, ptrs: number[], shapes: number[][], attrs: Record<string, unknown>): void;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
}

interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  readSync(dataId: tf.DataId): unknown;
}

function inputList(kernel: JsKernel, args: KernelArgs): tf.TensorInfo[] {
  return kernel.inputs.map((name) => {
    const t = args.inputs[name] as tf.TensorInfo | undefined;
    if (!t) throw new Error(`${kernel.name}: input '${name}' is missing`);
    if (t.dtype !== 'float32')
      throw new Error(`${kernel.name}: input '${name}' is ${t.dtype}; expected float32`);
    return t;
  });
}

function single(outs: tf.TensorInfo[]): tf.TensorInfo | tf.TensorInfo[] {
  return outs.length === 1 ? outs[0]! : outs;
}

function wasmKernelFunc(kernel: JsKernel): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const ins = inputList(kernel, args);
    const shapes = ins.map((t) => t.shape);
    const attrs = args.attrs as Record<string, unknown>;
    // allocate every output first: an allocation can grow the heap, which replaces its buffer
    const outs = kernel.outputShapes(shapes, attrs).map((s) => backend.makeOutput(s, 'float32'));
    const simd = kernel.simd ? simdKernels(wasmMemoryOf(backend)) : null;
    if (simd) {
      const offset = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
      kernel.simd!(simd, [...ins.map(offset), ...outs.map(offset)], shapes, attrs);
      return single(outs);
    }
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const view = (t: tf.TensorInfo) =>
      new Float32Array(heap, backend.dataIdMap.get(t.dataId).memoryOffset, tf.util.sizeFromShape(t.shape));
    kernel.run(ins.map(view), outs.map(view), shapes, attrs);
    return single(outs);
  }) as tf.KernelFunc;
}

function cpuKernelFunc(kernel: JsKernel): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as unknown as CpuBackendLike;
    const ins = inputList(kernel, args);
    const shapes = ins.map((t) => t.shape);
    const attrs = args.attrs as Record<string, unknown>;
    const values = ins.map((t) => {
      const v = backend.data.get(t.dataId).values ?? backend.readSync(t.dataId);
      return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
    });
    const outShapes = kernel.outputShapes(shapes, attrs);
    const outValues = outShapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
    kernel.run(values, outValues, shapes, attrs);
    return single(outShapes.map((s, i) => backend.makeTensorInfo(s, 'float32', outValues[i]!)));
  }) as tf.KernelFunc;
}

/** The backends the JS kernels run on. */
export const JS_KERNEL_BACKENDS = ['wasm', 'cpu'] as const;

/** Register `kernels` for backend `name` if it is wasm or cpu (idempotent). */
export function registerJsKernels(name: string, kernels: readonly JsKernel[]): void {
  if (name !== 'wasm' && name !== 'cpu') return;
  for (const kernel of kernels) {
    if (tf.getKernel(kernel.name, name)) continue;
    tf.registerKernel({
      kernelName: kernel.name,
      backendName: name,
      kernelFunc: name === 'wasm' ? wasmKernelFunc(kernel) : cpuKernelFunc(kernel),
    });
  }
}

/**
 * A read-only look at a float32 tensor's values without a kernel or a copy, on wasm (a view of the
 * heap, valid until the next allocation) and cpu (its value array); null on other backends or for
 * other dtypes. For host-side reductions that would otherwise cost a kernel and a sync each.
 */
export function peekFloat32(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32' || t.isDisposed) return null;
  const name = tf.getBackend();
  const backend = tf.engine().backend as unknown;
  if (name === 'wasm') {
    const b = backend as WasmBackendLike;
    const info = b.dataIdMap.get(t.dataId) as { memoryOffset: number } | undefined;
    if (!info) return null;
    return new Float32Array(b.wasm.HEAPU8.buffer as ArrayBuffer, info.memoryOffset, t.size);
  }
  if (name === 'cpu') {
    const values = (backend as CpuBackendLike).data.get(t.dataId).values;
    return values instanceof Float32Array ? values : null;
  }
  return null;
}

/**
 * Σ t² over all the tensors, as a float64 host number: one JS pass over each tensor's memory on
 * wasm and cpu (no kernels, no temporaries), else one tfjs reduction and a read.
 */
export function sumOfSquares(tensors: Iterable<tf.Tensor>): number {
  const list = [...tensors];
  if (list.length === 0) return 0;
  let total = 0;
  const rest: tf.Tensor[] = [];
  const simd = tf.getBackend() === 'wasm' ? simdKernels(wasmMemoryOf(tf.engine().backend)) : null;
  for (const t of list) {
    const values = peekFloat32(t);
    if (!values) {
      rest.push(t);
      continue;
    }
    if (simd) {
      total += simd.sum_sq(values.byteOffset, values.length);
      continue;
    }
    let s0 = 0;
    let s1 = 0;
    let i = 0;
    for (; i + 1 < values.length; i += 2) {
      s0 += values[i]! * values[i]!;
      s1 += values[i + 1]! * values[i + 1]!;
    }
    if (i < values.length) s0 += values[i]! * values[i]!;
    total += s0 + s1;
  }
  if (rest.length > 0) total += tf.tidy(() => tf.addN(rest.map((t) => tf.sum(tf.square(t)))).dataSync()[0]!);
  return total;
}

/** Whether the active backend has kernel `name` (else the op runs its composite form). */
export function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Run a registered kernel on the active backend (recorded on the gradient tape). */
export function runKernel(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as
    | tf.Tensor
    | tf.Tensor[];
}

/** Register a kernel's gradient once (tfjs warns on a second registration). */
export function registerGradientOnce(config: tf.GradConfig): void {
  if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
}
