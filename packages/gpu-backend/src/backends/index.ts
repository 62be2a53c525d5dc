import { blasKernelPack } from '../blas/index.js';
import { BUILTIN_BACKENDS } from './builtin.js';
import { type BackendPlugin, BackendRegistry } from './registry.js';

export {
  BACKEND_NAMES,
  BUILTIN_BACKENDS,
  type BuiltinBackendName,
  cudaDevicePresent,
} from './builtin.js';
export {
  BackendError,
  type BackendPlugin,
  type BackendPosition,
  BackendRegistry,
  DEFAULT_BACKEND_PRIORITY,
  type KernelPack,
} from './registry.js';

/**
 * A registry holding the five built-in backends (tensorflow-gpu, tensorflow, webgpu, wasm, cpu)
 * and the built-in kernel pack: native BLAS for wasm's matrix products.
 */
export function createBackendRegistry(): BackendRegistry {
  const registry = new BackendRegistry();
  for (const plugin of BUILTIN_BACKENDS) registry.register(plugin);
  registry.registerKernelPack(blasKernelPack);
  return registry;
}

/** The default registry: `initBackend` resolves from it unless given another; plugins register here. */
export const backendRegistry: BackendRegistry = createBackendRegistry();

/** Register a backend plugin (in the default registry unless another is given). */
export function registerBackend(
  plugin: BackendPlugin,
  registry: BackendRegistry = backendRegistry,
): BackendPlugin {
  registry.register(plugin);
  return plugin;
}
