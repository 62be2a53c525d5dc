/**
 * The WebAssembly SIMD kernel module (simd.wat, assembled into simd-module.ts) instantiated on the
 * tfjs wasm backend's own `WebAssembly.Memory`: its functions read and write tensors in place, by
 * byte offset, four float32 lanes per instruction — the JS kernels' loops without V8's float64
 * conversions and bounds checks. Measured with `node --cpu-prof` over 9 LoRA steps of
 * packages/models' bench config (`bench/train-step.mjs --child lora --batch 4 --steps 8`), self
 * time JS → SIMD: attention softmax backward 858 → 103 ms, SwiGLU backward 402 → 69 ms,
 * cross-entropy log-sum-exp 178 → 105 ms.
 *
 * Used by the wasm backend's fused kernels when the engine supports SIMD (Node ≥ 16, current
 * browsers) and `HYDRALORA_SIMD` is not `off`; otherwise the JS loops run. The cpu backend always
 * runs the JS loops (its tensors are not in a wasm memory).
 */
import { SIMD_MODULE_BASE64 } from './simd-module.js';

/** The module's exports; every pointer is a byte offset into the backend's memory. */
export interface SimdKernels {
  softmax_grad(dy: number, y: number, dx: number, rows: number, n: number): void;
  swiglu_grad(dy: number, g: number, u: number, s: number, dg: number, du: number, count: number): void;
  softmax_lse(x: number, p: number, lse: number, rows: number, classes: number): void;
  adamw(
    p: number,
    m: number,
    v: number,
    g: number,
    pOut: number,
    mOut: number,
    vOut: number,
    count: number,
    beta1: number,
    a1: number,
    beta2: number,
    a2: number,
    decay: number,
    stepSize: number,
    invC2: number,
    eps: number,
    gradScale: number,
  ): void;
  sum_sq(x: number, count: number): number;
  rms_norm(x: number, w: number, y: number, inv: number, rows: number, n: number, eps: number): void;
  rms_norm_grad(
    dy: number,
    x: number,
    w: number,
    inv: number,
    dx: number,
    dw: number,
    rows: number,
    n: number,
  ): void;
  dropout(x: number, y: number, count: number, seed: number, threshold: number, scale: number): void;
  rotary(
    x: number,
    cos: number,
    sin: number,
    y: number,
    b: number,
    h: number,
    t: number,
    d: number,
    cosBatchStride: number,
    back: number,
  ): void;
  softmax_mix(
    h: number,
    hs: number,
    l: number,
    ls: number,
    z: number,
    w: number,
    rows: number,
    r: number,
    heads: number,
    scale: number,
  ): void;
  softmax_mix_grad(
    dz: number,
    h: number,
    hs: number,
    w: number,
    dh: number,
    dhs: number,
    dl: number,
    dls: number,
    rows: number,
    r: number,
    heads: number,
    scale: number,
  ): void;
}

/** The part of the WebAssembly JS API used here (the project's TS lib has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: WasmModule | null | undefined;
const instances = new WeakMap<WasmMemory, SimdKernels>();
let enabled =
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.HYDRALORA_SIMD !==
  'off';

/** Turn the SIMD kernels on or off (default: on unless `HYDRALORA_SIMD=off`); returns the previous setting. */
export function setSimdKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether SIMD kernels are enabled and this engine can compile them. */
export function simdAvailable(): boolean {
  return enabled && compile() !== null;
}

function compile(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes =
      typeof Buffer !== 'undefined'
        ? Buffer.from(SIMD_MODULE_BASE64, 'base64')
        : Uint8Array.from(atob(SIMD_MODULE_BASE64), (c) => c.charCodeAt(0));
    compiled = new WA.Module(bytes);
  } catch {
    compiled = null; // no SIMD in this engine: the JS kernels run
  }
  return compiled ?? null;
}

/** The tfjs wasm backend's memory object, if it exposes one. */
export function wasmMemoryOf(backend: unknown): WasmMemory | null {
  const asm = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm;
  const memory = asm?.memory;
  return memory instanceof WA.Memory ? (memory as WasmMemory) : null;
}

/** The SIMD kernels bound to `memory`, or null when disabled or unsupported. */
export function simdKernels(memory: WasmMemory | null): SimdKernels | null {
  if (!enabled || !memory) return null;
  const cached = instances.get(memory);
  if (cached) return cached;
  const mod = compile();
  if (!mod) return null;
  const instance = new WA.Instance(mod, { env: { memory, log: Math.log, exp: Math.exp } });
  const kernels = instance.exports as unknown as SimdKernels;
  instances.set(memory, kernels);
  return kernels;
}
