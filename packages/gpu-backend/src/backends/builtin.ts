/**
 * The five built-in backends, registered through the same plugin API as any other:
 * tfjs-node-gpu (installed and a CUDA device present) → tfjs-node → webgpu (Dawn through the npm
 * `webgpu` package, when an adapter exists) → wasm → cpu.
 *
 * Native and webgpu packages are optional peer dependencies, loaded with dynamic `import()`:
 * absent is not an error during auto-resolution, but an explicit request that cannot be met is.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { registerTrainingKernels } from '../kernels/index.js';
import { BackendError, type BackendPlugin } from './registry.js';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
/** Names of the built-in backends; tfjs itself calls both native ones `tensorflow`. */
export type BuiltinBackendName = (typeof BACKEND_NAMES)[number];

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

const tensorflowGpu: BackendPlugin = {
  name: 'tensorflow-gpu',
  tfjsName: 'tensorflow',
  description: 'TensorFlow C library with CUDA (@tensorflow/tfjs-node-gpu)',
  position: { priority: 500 },
  installHint:
    'install @tensorflow/tfjs-node-gpu@4.22.0 (needs CUDA 11.8 + cuDNN 8 and internet access during install)',
  async probe() {
    if (!cudaDevicePresent())
      throw new BackendError('no CUDA device found (/proc/driver/nvidia/version is absent)');
    await importOptional('@tensorflow/tfjs-node-gpu');
  },
};

const tensorflow: BackendPlugin = {
  name: 'tensorflow',
  tfjsName: 'tensorflow',
  description: 'TensorFlow C library on the CPU (@tensorflow/tfjs-node)',
  position: { priority: 400 },
  installHint:
    'install @tensorflow/tfjs-node@4.22.0 (its install script downloads libtensorflow: needs internet)',
  async probe() {
    await importOptional('@tensorflow/tfjs-node');
  },
};

const webgpu: BackendPlugin = {
  name: 'webgpu',
  tfjsName: 'webgpu',
  description: 'WebGPU through Dawn (@tensorflow/tfjs-backend-webgpu + webgpu)',
  position: { priority: 300 },
  installHint:
    'install @tensorflow/tfjs-backend-webgpu@4.22.0 and webgpu@0.6 (Dawn bindings) and make sure a GPU adapter (Vulkan/Metal/D3D12) is visible',
  async probe() {
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
  },
};

const wasm: BackendPlugin = {
  name: 'wasm',
  tfjsName: 'wasm',
  description: 'XNNPACK compiled to WebAssembly (@tensorflow/tfjs-backend-wasm)',
  position: { priority: 200 },
  singleThreaded: true,
  installHint: 'install @tensorflow/tfjs-backend-wasm@4.22.0',
  async probe() {
    await import('@tensorflow/tfjs-backend-wasm');
  },
  verify() {
    const backend = tf.backend() as unknown as { wasm?: unknown };
    if (!backend.wasm) throw new BackendError('the wasm backend is registered but its module did not load');
  },
  kernels: () => registerTrainingKernels('wasm'),
};

const cpu: BackendPlugin = {
  name: 'cpu',
  tfjsName: 'cpu',
  description: 'plain JavaScript (@tensorflow/tfjs-backend-cpu)',
  position: { priority: 100 },
  singleThreaded: true,
  installHint: 'install @tensorflow/tfjs-backend-cpu@4.22.0',
  async probe() {
    await import('@tensorflow/tfjs-backend-cpu');
  },
  verify() {
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false; // no tfjs-node banner
  },
  kernels: () => registerTrainingKernels('cpu'),
};

/** The built-in plugins, in their resolution order. */
export const BUILTIN_BACKENDS: readonly BackendPlugin[] = [tensorflowGpu, tensorflow, webgpu, wasm, cpu];
