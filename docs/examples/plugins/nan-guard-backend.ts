/**
 * Worked plugin example: a `nan-guard` backend. It runs every kernel of an installed tfjs backend
 * (tfjs-backend-cpu by default) and throws as soon as a kernel writes a NaN, naming the kernel and
 * the shapes of its inputs. Require it (`HYDRALORA_BACKEND=nan-guard`) when a loss turns NaN: the
 * error points at the first op that produced one, where tfjs would carry the NaN on silently.
 *
 * It registers a new tfjs backend by delegation: `tf.registerBackend` with a factory that creates
 * an instance of the base backend, and each of the base's kernel configs registered again under
 * the new name, wrapped in the check. Gradients need nothing: tfjs keys them by kernel name, for
 * every backend.
 */
import {
  type BackendPlugin,
  type BackendPosition,
  type BackendRegistry,
  backendRegistry,
  registerTrainingKernels,
} from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';

export interface NanGuardOptions {
  /** Our name for the backend, also its tfjs name (default 'nan-guard'). */
  name?: string;
  /** The installed tfjs backend whose instances and kernels do the work (default 'cpu'). */
  base?: string;
  /** The package that registers `base` with tfjs, imported only if it is not registered yet. */
  basePackage?: string;
  /** Place in auto-resolution (default: none, after the built-ins: used only when asked for). */
  position?: BackendPosition;
}

export class NanError extends Error {
  override name = 'NanError';
}

/** A guarded kernel; `delegate` is the base backend's kernel that it runs. */
export type GuardedKernel = tf.KernelFunc & { readonly delegate: tf.KernelFunc };

interface ReadableBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
}

function guard(guardName: string, kernelName: string, delegate: tf.KernelFunc): GuardedKernel {
  const guarded: tf.KernelFunc = (args) => {
    const out = delegate(args);
    const backend = args.backend as ReadableBackend;
    for (const info of Array.isArray(out) ? out : [out]) {
      if (info.dtype !== 'float32') continue; // only floats can hold a NaN
      const at = (backend.readSync(info.dataId) as Float32Array).findIndex(Number.isNaN);
      if (at < 0) continue;
      const inputs = Object.entries(args.inputs)
        .map(([key, t]) => `${key} [${t?.shape ?? ''}]`)
        .join(', ');
      throw new NanError(
        `${guardName}: kernel '${kernelName}' wrote NaN at flat index ${at} of its [${info.shape}] output (inputs: ${inputs})`,
      );
    }
    return out;
  };
  return Object.assign(guarded, { delegate });
}

/** Register every kernel of `base` under `name`, guarded; re-wrap any whose base kernel changed. */
function mirrorKernels(base: string, name: string): void {
  for (const config of tf.getKernelsForBackend(base)) {
    const existing = tf.getKernel(config.kernelName, name);
    if ((existing?.kernelFunc as Partial<GuardedKernel> | undefined)?.delegate === config.kernelFunc)
      continue;
    if (existing) tf.unregisterKernel(config.kernelName, name);
    tf.registerKernel({
      kernelName: config.kernelName,
      backendName: name,
      kernelFunc: guard(name, config.kernelName, config.kernelFunc),
    });
  }
}

/** tfjs backend names this module registered, and the base each delegates to. */
const registeredWithTfjs = new Map<string, string>();

/** The plugin object; nothing is loaded or registered with tfjs until its probe runs. */
export function createNanGuardBackend(options: NanGuardOptions = {}): BackendPlugin {
  const {
    name = 'nan-guard',
    base = 'cpu',
    basePackage = `@tensorflow/tfjs-backend-${base}`,
    position,
  } = options;
  return {
    name,
    tfjsName: name,
    description: `every kernel of tfjs '${base}', throwing at the first NaN it writes`,
    installHint: `install ${basePackage}@${tf.version_core} (${name} runs on its '${base}' backend)`,
    ...(position ? { position } : {}),

    async probe() {
      if (tf.findBackendFactory(base) == null) {
        try {
          // A variable specifier: bundlers must not resolve an optional package at build time.
          await import(/* @vite-ignore */ basePackage);
        } catch (error) {
          const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
          throw new Error(`cannot load ${basePackage}: ${reason}`);
        }
      }
      const factory = tf.findBackendFactory(base);
      if (factory == null) throw new Error(`${basePackage} loaded but registered no '${base}' backend`);
      // Kernels with a setupFunc bind module state to one backend instance (wasm does this), so
      // they cannot serve a second instance.
      const bound = tf.getKernelsForBackend(base).filter((k) => k.setupFunc || k.disposeFunc);
      if (bound.length > 0) {
        throw new Error(
          `the kernels of '${base}' bind to one backend instance (${bound.length} have a setupFunc), so ${name} cannot run them on its own`,
        );
      }
      const registered = registeredWithTfjs.get(name);
      if (registered === base) return;
      if (registered !== undefined || tf.findBackendFactory(name) != null) {
        throw new Error(
          `tfjs already has a backend named '${name}'${registered ? ` (over '${registered}')` : ''}`,
        );
      }
      tf.registerBackend(name, () => {
        const instance = factory() as tf.KernelBackend & { firstUse?: boolean };
        // tfjs-backend-cpu prints an "install tfjs-node" banner on each instance's first use.
        if ('firstUse' in instance) instance.firstUse = false;
        return instance;
      });
      registeredWithTfjs.set(name, base);
    },

    kernels() {
      // The package's training kernels for the base (e.g. its fast UnsortedSegmentSum on cpu)
      // first, so that the mirror wraps them too.
      registerTrainingKernels(base);
      mirrorKernels(base, name);
    },
  };
}

/** Create the plugin and register it (in the default registry unless another is given). */
export function registerNanGuardBackend(
  options: NanGuardOptions = {},
  registry: BackendRegistry = backendRegistry,
): BackendPlugin {
  const plugin = createNanGuardBackend(options);
  registry.register(plugin);
  return plugin;
}
