/**
 * The native-BLAS kernel pack for the wasm backend: `BatchMatMul` (which `tf.matMul` and the
 * gradients of every product use) and `_FusedMatMul` (`linear` with a bias) run through a system
 * BLAS's `cblas_sgemm` in place on the wasm heap. With it active, `productStrategy()` is
 * 'native': transposed and batched products go to BLAS as they are, without NN-layout copies.
 *
 * The pack is registered in the backend registry (`registry.registerKernelPack`) and installed by
 * `initBackend` after the wasm backend activates. Without a BLAS (or with `HYDRALORA_BLAS=off`)
 * it installs nothing and the wasm kernels stay; `blasStatus()` says why.
 *
 * Threads: env `HYDRALORA_BLAS_THREADS`, else the number of cores divided by the data-parallel
 * workers sharing them (`setBlasThreadBudget`, which the pool's workers call), at least 1.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelPack } from '../backends/registry.js';
import { makeBatchMatMul, makeFusedMatMul, type Product } from './kernels.js';
import { type BlasLibrary, findBlas } from './library.js';

export {
  BlasError,
  type BlasLibrary,
  type BlasVendor,
  blasCandidates,
  findBlas,
  openBlas,
} from './library.js';

/** What `blasStatus()` reports (and `hydralora doctor --json` prints). */
export interface BlasStatus {
  /** Whether the BLAS kernels are registered for wasm now. */
  active: boolean;
  /** Library family, path and version/config string of the library found (null: none). */
  vendor: BlasLibrary['vendor'] | null;
  path: string | null;
  config: string | null;
  /** Threads the large products run with (null: the library decides). */
  threads: number | null;
  /** Why the pack is not active (null when it is). */
  reason: string | null;
}

const KERNELS = [tf.BatchMatMul, tf._FusedMatMul] as const;

let search: ReturnType<typeof findBlas> | undefined;
let searchedWith: string | undefined;
let threadBudget: number | undefined;
/** The wasm kernels replaced while the pack is installed (restored by `uninstall`). */
const replaced = new Map<string, tf.KernelConfig>();
const installed = new Set<tf.KernelFunc>();
let inactiveReason: string | null = 'not installed yet (initBackend installs it with the wasm backend)';

function library(): BlasLibrary | undefined {
  const env = process.env.HYDRALORA_BLAS ?? '';
  if (!search || searchedWith !== env) {
    search = findBlas();
    searchedWith = env;
  }
  return search.found ? search.library : undefined;
}

/** Cores available to this process, divided among `workers` data-parallel workers (≥ 1). */
export function setBlasThreadBudget(workers: number): void {
  threadBudget = Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, workers)));
  const lib = search?.found ? search.library : undefined;
  if (lib && installed.size > 0) lib.setThreads(blasThreads());
}

/** Threads the BLAS is given: env HYDRALORA_BLAS_THREADS, else the thread budget (all cores). */
export function blasThreads(): number {
  const env = process.env.HYDRALORA_BLAS_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`env HYDRALORA_BLAS_THREADS = ${JSON.stringify(env)}: expected an integer ≥ 1`);
    }
    return n;
  }
  return threadBudget ?? os.availableParallelism();
}

function currentKernel(name: string): tf.KernelConfig | undefined {
  return tf.getKernel(name, 'wasm');
}

/**
 * Products below this many multiply-adds per call (m·n·k) run on one BLAS thread: attention's
 * per-head products (512×256×32, 4M) spend more on waking and joining threads than they gain —
 * measured on the shared 2-core machine, a LoRA step with all products on one thread ran at
 * 636–719 tokens/s against 463–635 with two.
 */
export const SINGLE_THREAD_BELOW = 2 ** 24;

/** Set the library's threads for a product of this size, calling into it only on a change. */
function threadChooser(lib: BlasLibrary): (p: Product) => void {
  let current = -1;
  return (p) => {
    const want = p.m * p.n * p.k < SINGLE_THREAD_BELOW ? 1 : blasThreads();
    if (want !== current) {
      lib.setThreads(want);
      current = want;
    }
  };
}

/** Register the BLAS kernels for wasm if a BLAS is found; returns whether they are active. */
export function installBlasKernels(): boolean {
  const lib = library();
  if (!lib) {
    inactiveReason = search && !search.found ? search.reason : 'no BLAS library';
    return false;
  }
  lib.setThreads(blasThreads());
  const before = threadChooser(lib);
  for (const name of KERNELS) {
    const existing = currentKernel(name);
    if (existing && installed.has(existing.kernelFunc)) continue;
    if (!existing) throw new Error(`BLAS kernel pack: the wasm backend has no ${name} kernel to extend`);
    replaced.set(name, existing);
    tf.unregisterKernel(name, 'wasm');
    const make = name === tf.BatchMatMul ? makeBatchMatMul : makeFusedMatMul;
    const kernelFunc = make(lib.sgemm, existing.kernelFunc, before);
    installed.add(kernelFunc);
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  }
  inactiveReason = null;
  return true;
}

/** Put the wasm kernels back (the pure-wasm path); a no-op when the pack is not installed. */
export function uninstallBlasKernels(reason = 'uninstalled'): void {
  for (const [name, original] of replaced) {
    const existing = currentKernel(name);
    if (existing && installed.has(existing.kernelFunc)) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
    }
  }
  replaced.clear();
  installed.clear();
  inactiveReason = reason;
}

/** Whether the BLAS kernels are the wasm backend's matmul kernels right now. */
export function blasKernelsActive(): boolean {
  const k = currentKernel(tf.BatchMatMul);
  return k !== undefined && installed.has(k.kernelFunc);
}

/** The library found (searching if needed) and whether the kernels are active. */
export function blasStatus(): BlasStatus {
  let lib: BlasLibrary | undefined;
  let reason: string | null = null;
  try {
    lib = library();
    if (!lib && search && !search.found) reason = search.reason;
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  const active = blasKernelsActive();
  return {
    active,
    vendor: lib?.vendor ?? null,
    path: lib?.path ?? null,
    config: lib?.config ?? null,
    // the most threads a product gets (small products run on one, see SINGLE_THREAD_BELOW); null
    // where the library offers no thread control (Accelerate, unknown CBLAS)
    threads: lib && lib.threads() !== null ? blasThreads() : null,
    reason: active ? null : (reason ?? inactiveReason),
  };
}

/** The pack as the backend registry holds it. */
export const blasKernelPack: KernelPack = {
  name: 'blas',
  backend: 'wasm',
  description: 'MatMul/BatchMatMul/_FusedMatMul through a system BLAS (cblas_sgemm via koffi)',
  install: installBlasKernels,
  uninstall: () => uninstallBlasKernels(),
  active: blasKernelsActive,
};
