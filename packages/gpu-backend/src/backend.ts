/**
 * Backend selection. Resolution order, unless told otherwise:
 * tfjs-node-gpu (installed and a CUDA device present) → tfjs-node → webgpu (Dawn through the
 * npm `webgpu` package, when an adapter exists) → wasm → cpu.
 *
 * Native and webgpu packages are optional peer dependencies, loaded with dynamic `import()`:
 * absent is not an error during auto-resolution, but an explicit request that cannot be met is.
 * After every switch the active backend is verified, because `tf.ready()` silently falls back
 * to cpu and a failed `setBackend` leaves `getBackend()` naming the failed backend.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
// The union package registers every op's gradient and the chained tensor methods (tfjs-core's
// Node bundle registers neither); it shares our single tfjs-core instance.
import '@tensorflow/tfjs';
import { registerTrainingKernels } from './kernels/index.js';
import { installMemoryBudget, type MemoryBudgetOptions } from './memory.js';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
/** Our names for the backends; tfjs itself calls both native ones `tensorflow`. */
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface InitBackendOptions {
  /** A backend to require, or 'auto' (default: env HYDRALORA_BACKEND, else 'auto'). */
  backend?: BackendName | 'auto';
  /** Memory budget for the wasm heap (see memory.ts). */
  memory?: MemoryBudgetOptions;
  /** Print nothing while probing (default true). */
  quiet?: boolean;
}

export interface BackendInfo {
  /** Our name for the active backend. */
  name: BackendName;
  /** The name tfjs uses for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsName: string;
  /** Why each earlier candidate was skipped during auto-resolution. */
  skipped: { backend: BackendName; reason: string }[];
}

export class BackendError extends Error {
  override name = 'BackendError';
}

const INSTALL_HINT: Record<BackendName, string> = {
  'tensorflow-gpu':
    'install @tensorflow/tfjs-node-gpu@4.22.0 (needs CUDA 11.8 + cuDNN 8 and internet access during install)',
  tensorflow:
    'install @tensorflow/tfjs-node@4.22.0 (its install script downloads libtensorflow: needs internet)',
  webgpu:
    'install @tensorflow/tfjs-backend-webgpu@4.22.0 and webgpu@0.6 (Dawn bindings) and make sure a GPU adapter (Vulkan/Metal/D3D12) is visible',
  wasm: 'install @tensorflow/tfjs-backend-wasm@4.22.0',
  cpu: 'install @tensorflow/tfjs-backend-cpu@4.22.0',
};

let active: BackendInfo | undefined;

/** Whether a CUDA device is visible to this process (driver present and a device listed). */
export function cudaDevicePresent(): boolean {
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return false;
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
}

async function importOptional(name: string): Promise<unknown> {
  // A variable specifier keeps bundlers from resolving optional peers at build time.
  const specifier = name;
  return import(specifier);
}

type Probe = () => Promise<string>;

/** Each probe loads what its backend needs and returns the tfjs backend name, or throws why not. */
const PROBES: Record<BackendName, Probe> = {
  'tensorflow-gpu': async () => {
    if (!cudaDevicePresent())
      throw new BackendError('no CUDA device found (/proc/driver/nvidia/version is absent)');
    await importOptional('@tensorflow/tfjs-node-gpu');
    return 'tensorflow';
  },
  tensorflow: async () => {
    await importOptional('@tensorflow/tfjs-node');
    return 'tensorflow';
  },
  webgpu: async () => {
    const g = globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } };
    if (!g.navigator?.gpu) {
      const dawn = (await importOptional('webgpu')) as {
        create(flags: string[]): unknown;
        globals: Record<string, unknown>;
      };
      Object.assign(globalThis, dawn.globals);
      const gpu = dawn.create([]);
      Object.defineProperty(globalThis, 'navigator', {
        value: { ...(g.navigator ?? {}), gpu },
        configurable: true,
      });
    }
    const adapter = await (globalThis as typeof g).navigator!.gpu!.requestAdapter();
    if (!adapter) throw new BackendError('the webgpu package loaded but no GPU adapter is available');
    await importOptional('@tensorflow/tfjs-backend-webgpu');
    return 'webgpu';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    return 'wasm';
  },
  cpu: async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    return 'cpu';
  },
};

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(message)) return 'package not installed';
  return message.split('\n')[0] ?? message;
}

/** Switch tfjs to `tfjsName` and verify that it really is the active backend afterwards. */
async function activate(name: BackendName, tfjsName: string): Promise<void> {
  if (tf.findBackendFactory(tfjsName) == null) {
    throw new BackendError(`backend '${tfjsName}' did not register itself after loading`);
  }
  const ok = await tf.setBackend(tfjsName);
  await tf.ready();
  const now = tf.getBackend();
  if (!ok || now !== tfjsName || tf.findBackend(tfjsName) == null) {
    throw new BackendError(
      `switching to ${name} failed: tfjs reports '${now}' as active after setBackend('${tfjsName}') returned ${ok}`,
    );
  }
  if (tfjsName === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
  if (tfjsName === 'wasm') {
    const backend = tf.backend() as unknown as { wasm?: unknown };
    if (!backend.wasm) throw new BackendError('the wasm backend is registered but its module did not load');
  }
}

function requested(options: InitBackendOptions): BackendName | 'auto' {
  const value = options.backend ?? process.env.HYDRALORA_BACKEND ?? 'auto';
  if (value !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new BackendError(
      `unknown backend '${value}'${options.backend ? '' : ' (from env HYDRALORA_BACKEND)'}; expected one of auto, ${BACKEND_NAMES.join(', ')}`,
    );
  }
  return value as BackendName | 'auto';
}

/**
 * Initialise the fastest available backend (or the one asked for), register the kernels that
 * training needs, and install the memory budget. Idempotent for the same choice.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const want = requested(options);
  if (active && (want === 'auto' || want === active.name) && tf.getBackend() === active.tfjsName)
    return active;
  const candidates: readonly BackendName[] = want === 'auto' ? BACKEND_NAMES : [want];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    try {
      const tfjsName = await PROBES[name]();
      await activate(name, tfjsName);
      registerTrainingKernels();
      installMemoryBudget(options.memory);
      active = { name, tfjsName, skipped };
      return active;
    } catch (error) {
      const reason = describeFailure(error);
      if (want !== 'auto') {
        throw new BackendError(
          `backend '${name}' was requested but cannot be used: ${reason}. To use it, ${INSTALL_HINT[name]}.`,
        );
      }
      skipped.push({ backend: name, reason });
    }
  }
  throw new BackendError(
    `no tfjs backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

/** The backend chosen by the last successful `initBackend`, or undefined. */
export function activeBackend(): BackendInfo | undefined {
  return active && tf.getBackend() === active.tfjsName ? active : undefined;
}

export interface BackendReport {
  backend: BackendName | string;
  tfjsBackend: string;
  version: string;
  device: string;
  threads: number;
  simd: boolean | null;
  memory: {
    tensors: number;
    tensorBytes: number;
    heapBytes: number | null;
    rssBytes: number;
    budgetBytes: number | null;
  };
  skipped: BackendInfo['skipped'];
  platform: string;
  node: string;
}

/** A report of the active backend (for `hydralora doctor`). */
export async function describeBackend(): Promise<BackendReport> {
  const tfjsBackend = tf.getBackend();
  const info = activeBackend();
  const mem = tf.memory();
  let heapBytes: number | null = null;
  let simd: boolean | null = null;
  let threads = 1;
  let device = `${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} logical cores)`;
  if (tfjsBackend === 'wasm') {
    const wasm = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array; tfjs?: unknown } }).wasm;
    heapBytes = wasm.HEAPU8.buffer.byteLength;
    simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const multi = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    // tfjs-backend-wasm 4.22 hard-wires multithreading off under Node; one thread per instance.
    threads =
      multi && typeof (globalThis as { window?: unknown }).window !== 'undefined' ? os.cpus().length : 1;
  } else if (tfjsBackend === 'tensorflow') {
    threads = os.cpus().length;
    if (info?.name === 'tensorflow-gpu') device = (await gpuName()) ?? 'CUDA device';
  } else if (tfjsBackend === 'webgpu') {
    device = 'WebGPU adapter (Dawn)';
  }
  const { budgetBytes } = await import('./memory.js').then((m) => m.memoryBudget());
  return {
    backend: info?.name ?? tfjsBackend,
    tfjsBackend,
    version: tf.version_core,
    device,
    threads,
    simd,
    memory: {
      tensors: mem.numTensors,
      tensorBytes: mem.numBytes,
      heapBytes,
      rssBytes: process.memoryUsage().rss,
      budgetBytes,
    },
    skipped: info?.skipped ?? [],
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
  };
}

async function gpuName(): Promise<string | undefined> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { timeout: 5000 }, (err, out) =>
      resolve(err ? undefined : out.trim().split('\n')[0]),
    );
  });
}
