/**
 * Backend selection. Candidates come from a backend registry (backends/): the five built-ins
 * (tfjs-node-gpu → tfjs-node → webgpu → wasm → cpu) and any registered plugins, in the order their
 * positions give. `initBackend` probes them in that order, or only the one asked for.
 *
 * After every switch the active backend is verified, because `tf.ready()` silently falls back
 * to cpu and a failed `setBackend` leaves `getBackend()` naming the failed backend.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
// Every op's gradient and the chained tensor methods, from tfjs-core's own registration files.
import './register-gradients.js';
// The cpu backend and its kernels, registered at import as @tensorflow/tfjs did: tensors created
// before initBackend run on cpu instead of failing with "No backend found in registry", and
// tfjs-backend-cpu's own kernels stay reachable (tf.getKernel) whichever backend is active.
import '@tensorflow/tfjs-backend-cpu';
import {
  BackendError,
  type BackendPlugin,
  type BackendRegistry,
  BUILTIN_BACKENDS,
  type BuiltinBackendName,
  backendRegistry,
} from './backends/index.js';
import { type BlasStatus, blasStatus } from './blas/index.js';
import { installLeanGradients } from './lean-gradients.js';
import { installMemoryBudget, type MemoryBudgetOptions } from './memory.js';

export { BACKEND_NAMES, BackendError, cudaDevicePresent } from './backends/index.js';

/**
 * Our name for a backend: a built-in name or a registered plugin's. tfjs itself calls both native
 * built-ins `tensorflow`.
 */
export type BackendName = BuiltinBackendName | (string & {});

export interface InitBackendOptions {
  /** A backend to require, or 'auto' (default: env HYDRALORA_BACKEND, else 'auto'). */
  backend?: BackendName | 'auto';
  /** Memory budget for the wasm heap (see memory.ts). */
  memory?: MemoryBudgetOptions;
  /** Print nothing while probing (default true). */
  quiet?: boolean;
  /** The registry to resolve from (default: `backendRegistry`, the built-ins plus registered plugins). */
  registry?: BackendRegistry;
}

export interface BackendInfo {
  /** Our name for the active backend. */
  name: BackendName;
  /** The name tfjs uses for it (`tensorflow`, `webgpu`, `wasm`, `cpu`, or a plugin's). */
  tfjsName: string;
  /** Why each earlier candidate was skipped during auto-resolution. */
  skipped: { backend: BackendName; reason: string }[];
}

let active: BackendInfo | undefined;
let activePlugin: BackendPlugin | undefined;
let activeRegistry: BackendRegistry | undefined;

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(message)) return 'package not installed';
  return message.split('\n')[0] ?? message;
}

/** Switch tfjs to the plugin's backend and verify that it really is the active backend afterwards. */
async function activate(plugin: BackendPlugin): Promise<void> {
  const { name, tfjsName } = plugin;
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
  plugin.verify?.();
}

function requested(options: InitBackendOptions, registry: BackendRegistry): BackendName | 'auto' {
  const value = options.backend ?? process.env.HYDRALORA_BACKEND ?? 'auto';
  if (value !== 'auto' && !registry.has(value)) {
    throw new BackendError(
      `unknown backend '${value}'${options.backend ? '' : ' (from env HYDRALORA_BACKEND)'}; expected one of auto, ${registry.names().join(', ')}`,
    );
  }
  return value;
}

/**
 * Initialise the fastest available backend (or the one asked for), register the kernels that
 * training needs, and install the memory budget. Idempotent for the same choice: while a backend
 * chosen from the same registry is active, 'auto' keeps it (registering a plugin later does not
 * switch; ask for it by name).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const registry = options.registry ?? backendRegistry;
  const want = requested(options, registry);
  if (
    active &&
    tf.getBackend() === active.tfjsName &&
    (want === 'auto' ? registry === activeRegistry : registry.get(want) === activePlugin)
  )
    return active;
  const candidates = want === 'auto' ? registry.plugins().map((e) => e.plugin) : [registry.get(want)];
  const skipped: BackendInfo['skipped'] = [];
  for (const plugin of candidates) {
    try {
      await plugin.probe();
      await activate(plugin);
      plugin.kernels?.();
      for (const pack of registry.kernelPacks(plugin.tfjsName)) pack.install();
      installLeanGradients(!/^(off|0|false)$/i.test(process.env.HYDRALORA_LEAN_GRADIENTS ?? ''));
      installMemoryBudget(options.memory);
      active = { name: plugin.name, tfjsName: plugin.tfjsName, skipped };
      activePlugin = plugin;
      activeRegistry = registry;
      return active;
    } catch (error) {
      const reason = describeFailure(error);
      if (want !== 'auto') {
        throw new BackendError(
          `backend '${plugin.name}' was requested but cannot be used: ${reason}. To use it, ${plugin.installHint}.`,
        );
      }
      skipped.push({ backend: plugin.name, reason });
    }
  }
  throw new BackendError(
    `no tfjs backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`,
  );
}

/** What `withBackend` restores: the verified active backend and where it came from. */
interface ActiveState {
  info: BackendInfo | undefined;
  plugin: BackendPlugin | undefined;
  registry: BackendRegistry | undefined;
  tfjsName: string;
}

/**
 * Run `fn` on the backend `name` (resolved from `registry`), then switch back to the backend that
 * was active before, restoring what `activeBackend()` reports. Internal: used by the conformance check.
 */
export async function withBackend<T>(
  name: BackendName,
  fn: (info: BackendInfo) => Promise<T>,
  registry: BackendRegistry = backendRegistry,
): Promise<T> {
  const saved: ActiveState = {
    info: active,
    plugin: activePlugin,
    registry: activeRegistry,
    tfjsName: tf.getBackend(),
  };
  try {
    return await fn(await initBackend({ backend: name, registry }));
  } finally {
    // tfjs names no backend before its first use; then there is nothing to restore.
    if (saved.tfjsName && tf.getBackend() !== saved.tfjsName) {
      await tf.setBackend(saved.tfjsName);
      await tf.ready();
    }
    active = saved.info;
    activePlugin = saved.plugin;
    activeRegistry = saved.registry;
  }
}

/** The backend chosen by the last successful `initBackend`, or undefined. */
export function activeBackend(): BackendInfo | undefined {
  return active && tf.getBackend() === active.tfjsName ? active : undefined;
}

/** One registered backend, as `describeBackend` lists it. */
export interface RegisteredBackend {
  name: BackendName;
  tfjsName: string;
  /** One of the five built-ins (false: a plugin). */
  builtin: boolean;
  /** Its auto-resolution priority (higher is tried first). */
  priority: number;
  description: string | null;
}

export interface BackendReport {
  backend: BackendName;
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
  /** The native-BLAS kernel pack: library, path, config string, threads, and whether it is active. */
  blas: BlasStatus;
  /** Every backend of the registry in use, built-ins and plugins, in auto-resolution order. */
  registered: RegisteredBackend[];
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
    blas: blasStatus(),
    registered: (activeRegistry ?? backendRegistry).plugins().map(({ plugin, priority }) => ({
      name: plugin.name,
      tfjsName: plugin.tfjsName,
      builtin: BUILTIN_BACKENDS.includes(plugin),
      priority,
      description: plugin.description ?? null,
    })),
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
