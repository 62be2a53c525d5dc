/**
 * The backend registry: a name → plugin table whose order is the auto-resolution order.
 *
 * A plugin says how to load its tfjs backend (a probe that imports its package only when present),
 * what to tell a user who requires it but cannot load it, where it sits in the resolution order
 * and which kernels training needs on it. The five built-in backends are plugins registered
 * through this same API (see builtin.ts). Registering a name twice throws, as in the package's
 * other registries (adapter methods, routers, eval tasks).
 */

export class BackendError extends Error {
  override name = 'BackendError';
}

/**
 * Where a plugin sits in the auto-resolution order. `before`/`after` name a registered backend
 * (the plugin takes that backend's priority); `priority` is a number, higher first. The built-ins
 * have 500 (tensorflow-gpu), 400 (tensorflow), 300 (webgpu), 200 (wasm) and 100 (cpu). Without a
 * position a plugin gets priority 0: after every built-in, so only an explicit request picks it.
 */
export type BackendPosition = { before: string } | { after: string } | { priority: number };

export interface BackendPlugin {
  /** Our name for the backend: what `initBackend({ backend })` and HYDRALORA_BACKEND take. */
  readonly name: string;
  /** The name the probe registers with tfjs (`tf.setBackend` is called with it). */
  readonly tfjsName: string;
  /**
   * Load what the backend needs and register it with tfjs, or throw why not (the message's first
   * line is shown). Import optional packages with a dynamic `import()` here, never at the top of
   * the module, so that an absent package is a skipped candidate rather than a crash.
   */
  probe(): Promise<void>;
  /** Completes "To use it, …" in the error of an explicit request that fails, e.g. "install X". */
  readonly installHint: string;
  /** Place in the auto-resolution order (default `{ priority: 0 }`, after the built-ins). */
  readonly position?: BackendPosition;
  /**
   * True when the backend computes on one thread per process (wasm, cpu): independent jobs (e.g.
   * `hydralora repro --jobs auto`) then run one process per core. Absent: it uses every core or a
   * device already, so one process is enough.
   */
  readonly singleThreaded?: boolean;
  /** Register the kernels training needs on this backend; called after every activation, so idempotent. */
  kernels?(): void;
  /** Extra checks once tfjs reports the backend active (throw to reject it). */
  verify?(): void;
  /** One line for `hydralora doctor`. */
  readonly description?: string;
}

/**
 * A kernel pack: kernels that replace (or add to) a tfjs backend's own, installed by `initBackend`
 * after that backend activates, in registration order. `install` returns false (and installs
 * nothing) when what the pack needs is absent, e.g. no BLAS library on the machine.
 */
export interface KernelPack {
  /** Unique name, e.g. 'blas'. */
  readonly name: string;
  /** The tfjs backend name whose kernels it registers (e.g. 'wasm'). */
  readonly backend: string;
  /** Register the kernels if possible (idempotent); whether they are active now. */
  install(): boolean;
  /** Restore the kernels that were there before. */
  uninstall(): void;
  /** Whether the pack's kernels are registered right now. */
  active(): boolean;
  /** One line for `hydralora doctor`. */
  readonly description?: string;
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
/** Priority of a plugin registered without a position. */
export const DEFAULT_BACKEND_PRIORITY = 0;

interface Entry {
  plugin: BackendPlugin;
  priority: number;
}

/** Plugins in auto-resolution order, fed by explicit `register` calls that throw on duplicates. */
export class BackendRegistry {
  private readonly entries: Entry[] = [];
  private readonly packs: KernelPack[] = [];

  /** Add a kernel pack; throws on a taken name or an invalid field. */
  registerKernelPack(pack: KernelPack): void {
    if (typeof pack.name !== 'string' || !NAME.test(pack.name)) {
      throw new BackendError(
        `backend registry: kernel pack field 'name' = ${JSON.stringify(pack.name)} is invalid; expected lower-case letters, digits, '.', '_' or '-'`,
      );
    }
    if (this.packs.some((p) => p.name === pack.name)) {
      throw new BackendError(`backend registry: a kernel pack named '${pack.name}' is already registered`);
    }
    for (const field of ['install', 'uninstall', 'active'] as const) {
      if (typeof pack[field] !== 'function') {
        throw new BackendError(
          `backend registry: kernel pack '${pack.name}': field '${field}' must be a function, got ${typeof pack[field]}`,
        );
      }
    }
    this.packs.push(pack);
  }

  /** Registered kernel packs (for the tfjs backend `tfjsName` only, if given), in order. */
  kernelPacks(tfjsName?: string): KernelPack[] {
    return this.packs.filter((p) => tfjsName === undefined || p.backend === tfjsName);
  }

  /** Add a plugin at its declared position; throws on a taken name or an invalid field. */
  register(plugin: BackendPlugin): void {
    const where = `backend registry: plugin '${plugin.name}'`;
    if (typeof plugin.name !== 'string' || !NAME.test(plugin.name) || plugin.name === 'auto') {
      throw new BackendError(
        `backend registry: field 'name' = ${JSON.stringify(plugin.name)} is invalid; expected lower-case letters, digits, '.', '_' or '-' (and not 'auto')`,
      );
    }
    if (this.has(plugin.name)) {
      throw new BackendError(`backend registry: a backend named '${plugin.name}' is already registered`);
    }
    if (typeof plugin.tfjsName !== 'string' || plugin.tfjsName === '') {
      throw new BackendError(
        `${where}: field 'tfjsName' must be a non-empty string, got ${JSON.stringify(plugin.tfjsName)}`,
      );
    }
    if (typeof plugin.probe !== 'function') {
      throw new BackendError(`${where}: field 'probe' must be an async function, got ${typeof plugin.probe}`);
    }
    if (typeof plugin.installHint !== 'string' || plugin.installHint.trim() === '') {
      throw new BackendError(
        `${where}: field 'installHint' must be a non-empty string, got ${JSON.stringify(plugin.installHint)}`,
      );
    }
    const { index, priority } = this.slot(plugin, where);
    this.entries.splice(index, 0, { plugin, priority });
  }

  /** Index to insert at and the priority taken, keeping `entries` sorted by decreasing priority. */
  private slot(plugin: BackendPlugin, where: string): { index: number; priority: number } {
    const position = plugin.position ?? { priority: DEFAULT_BACKEND_PRIORITY };
    if ('priority' in position) {
      if (typeof position.priority !== 'number' || !Number.isFinite(position.priority)) {
        throw new BackendError(
          `${where}: field 'position.priority' must be a finite number, got ${typeof position.priority === 'number' ? position.priority : JSON.stringify(position.priority)}`,
        );
      }
      const index = this.entries.findIndex((e) => e.priority < position.priority);
      return { index: index < 0 ? this.entries.length : index, priority: position.priority };
    }
    const side = 'before' in position ? 'before' : 'after';
    const anchor = 'before' in position ? position.before : position.after;
    const index = this.entries.findIndex((e) => e.plugin.name === anchor);
    if (index < 0) {
      throw new BackendError(
        `${where}: field 'position.${side}' = ${JSON.stringify(anchor)} is not a registered backend; registered: ${this.names().join(', ')}`,
      );
    }
    return { index: side === 'before' ? index : index + 1, priority: this.entries[index]!.priority };
  }

  /** The plugin of that name; throws listing the registered names otherwise. */
  get(name: string): BackendPlugin {
    const entry = this.entries.find((e) => e.plugin.name === name);
    if (!entry) {
      throw new BackendError(
        `backend registry: unknown backend '${name}'; expected one of: ${this.names().join(', ')}`,
      );
    }
    return entry.plugin;
  }

  /** Whether a plugin of that name is registered. */
  has(name: string): boolean {
    return this.entries.some((e) => e.plugin.name === name);
  }

  /** Registered names in auto-resolution order. */
  names(): string[] {
    return this.entries.map((e) => e.plugin.name);
  }

  /** Registered plugins in auto-resolution order, with the priority each holds. */
  plugins(): { plugin: BackendPlugin; priority: number }[] {
    return this.entries.map((e) => ({ ...e }));
  }
}
