/**
 * Data parallelism across worker threads. Each worker initialises its own backend (wasm by
 * default) and the caller's task module; a step broadcasts the trainable parameters, gives each
 * worker one shard of the batch, and returns the token-weighted mean of the shards' gradients,
 * ready for the optimiser on the calling thread. Only what `params` holds travels (for LoRA: the
 * adapter weights); frozen weights are built inside each worker from the task's config.
 */
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../backend.js';
import { setBlasThreadBudget } from '../blas/index.js';
import type { MemoryBudgetOptions } from '../memory.js';
import { combineGradients } from './combine.js';
import {
  buffersOf,
  type FromWorker,
  type GradientResult,
  type ParamSet,
  type WorkerInit,
} from './protocol.js';

export interface DataParallelOptions<Config> {
  /** Number of workers (≥ 1); one per core is the useful maximum on wasm. */
  workers: number;
  /** Path or file URL of a module exporting `createStep(config, context)` (see TaskModule). */
  taskModule: string | URL;
  /** Structured-cloneable config handed to each worker's `createStep`. */
  config: Config;
  /** Backend each worker initialises (default 'wasm'). */
  backend?: BackendName;
  /** Memory budget per worker (wasm). */
  memory?: MemoryBudgetOptions;
  /** The worker script (default: the `parallel-worker.js` built beside this package's entry). */
  workerScript?: string | URL;
}

/** The combined result of one data-parallel step. */
export interface DataParallelStep extends GradientResult {
  /** Per-shard tokens, loss and compute time in the worker (ms). */
  shards: { tokens: number; loss: number; ms: number }[];
}

interface Pending {
  resolve(value: { result: GradientResult; ms: number }): void;
  reject(error: Error): void;
}

class WorkerHandle {
  readonly pending = new Map<number, Pending>();
  failure: Error | undefined;
  private nextId = 0;

  constructor(
    readonly worker: Worker,
    readonly index: number,
  ) {}

  fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  run(params: ParamSet, batch: unknown): Promise<{ result: GradientResult; ms: number }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'step', id, params, batch }, buffersOf(params));
    });
  }
}

function defaultWorkerScript(): URL {
  return new URL('./parallel-worker.js', import.meta.url);
}

/** A pool of gradient workers. Create with `DataParallelPool.create`, end with `close()`. */
export class DataParallelPool<Batch = unknown> {
  private closed = false;

  private constructor(private readonly handles: WorkerHandle[]) {}

  /** Start the workers and wait until each has initialised its backend and task. */
  static async create<Config, Batch>(options: DataParallelOptions<Config>): Promise<DataParallelPool<Batch>> {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new Error(`DataParallelPool: field 'workers' must be an integer ≥ 1, got ${options.workers}`);
    }
    const taskModule = options.taskModule instanceof URL ? options.taskModule.href : options.taskModule;
    const script = options.workerScript ?? defaultWorkerScript();
    const handles: WorkerHandle[] = [];
    const ready: Promise<void>[] = [];
    for (let index = 0; index < options.workers; index++) {
      const workerData: WorkerInit = {
        taskModule,
        config: options.config,
        backend: options.backend ?? 'wasm',
        workerIndex: index,
        workers: options.workers,
        ...(options.memory ? { memory: options.memory } : {}),
      };
      const worker = new Worker(script, { workerData });
      const handle = new WorkerHandle(worker, index);
      handles.push(handle);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (message: FromWorker) => {
            if (message.type === 'ready') resolve();
            else if (message.type === 'result') {
              handle.pending.get(message.id)?.resolve({ result: message.result, ms: message.ms });
              handle.pending.delete(message.id);
            } else {
              const error = new Error(`data-parallel worker ${index} (${taskModule}): ${message.message}`);
              if (message.id === null) {
                handle.fail(error);
                reject(error);
              } else {
                handle.pending.get(message.id)?.reject(error);
                handle.pending.delete(message.id);
              }
            }
          });
          worker.on('error', (error) => {
            const e = new Error(`data-parallel worker ${index} crashed: ${error.message}`);
            handle.fail(e);
            reject(e);
          });
          worker.on('exit', (code) => {
            const e = new Error(`data-parallel worker ${index} exited (code ${code})`);
            handle.fail(e);
            reject(e);
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw error;
    }
    return new DataParallelPool<Batch>(handles);
  }

  /** Number of workers. */
  get size(): number {
    return this.handles.length;
  }

  /**
   * One gradient computation: shard i goes to worker i (at most `size` shards). Each worker gets
   * its own copy of `params` (the caller's arrays are not detached). Returns the token-weighted
   * mean gradient and loss over all shards.
   */
  async step(params: ParamSet, shards: Batch[]): Promise<DataParallelStep> {
    if (this.closed) throw new Error('DataParallelPool: step() after close()');
    if (shards.length < 1 || shards.length > this.handles.length) {
      throw new Error(
        `DataParallelPool.step: got ${shards.length} shards for ${this.handles.length} workers`,
      );
    }
    const outs = await Promise.all(
      shards.map((batch, i) => {
        const copy: ParamSet = {};
        for (const [name, value] of Object.entries(params)) copy[name] = value.slice();
        return this.handles[i]!.run(copy, batch);
      }),
    );
    const combined = combineGradients(
      outs.map((o) => o.result),
      params,
    );
    return {
      ...combined,
      shards: outs.map((o) => ({ tokens: o.result.tokens, loss: o.result.loss, ms: o.ms })),
    };
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.handles) h.worker.removeAllListeners('exit');
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
    setBlasThreadBudget(1); // the workers divided the (per-process) BLAS threads; give them back
  }
}
