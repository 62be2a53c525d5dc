/**
 * Runs the independent trainings of `hydralora repro` in several child processes at once. tfjs on
 * wasm (and on cpu) uses one core per process, so on a machine with C cores `--jobs C` finishes
 * the comparison up to C times sooner than one process, where data-parallel training of a single
 * run measured 1.33× on two cores. Every run is self-contained (a fresh base model, its own seed,
 * its own output directory), so the results do not depend on the number of jobs; the tests
 * check that they are identical.
 *
 * Each worker is this package's built `repro-worker.js`, started with `child_process.fork`; it
 * rebuilds the corpus and the clustering once (deterministic, seed 0) and then trains whatever
 * it is sent. Progress and info lines come back over the IPC channel.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { backendRegistry } from '@hydralora/gpu-backend';
import type { StepLog } from '@hydralora/trainer';
import type { FinetuneTask } from './finetune-task.js';
import type { RunOptions } from './run-embedded.js';

/** The serialisable part of {@link RunOptions} (the hooks stay in the parent). */
export type WorkerRunOptions = Omit<RunOptions, 'onInfo' | 'onStep'>;

/**
 * One unit of work: a method id of REPRO_METHODS and a seed (ignored by `base`); or, with
 * `finetune`, a self-contained fine-tuning and evaluation (`methodId` then only labels it).
 */
export interface ReproTask {
  methodId: string;
  seed: number;
  finetune?: FinetuneTask;
  /**
   * On a `per-component` task: also compose its LoRAs with LoraHub (the `lorahub` row of the same
   * seed), so that the pool both rows use is trained once.
   */
  withLoraHub?: boolean;
}

export type ToWorker = {
  type: 'run';
  index: number;
  backend: string;
  options: WorkerRunOptions;
  task: ReproTask;
};

export type FromWorker =
  | { type: 'info'; message: string }
  | { type: 'step'; label: string; log: StepLog; total: number }
  | { type: 'done'; index: number; result: unknown }
  | { type: 'error'; index: number; message: string; stack?: string };

/**
 * `--jobs auto`: on backends that compute on one thread per process (the registry's
 * `singleThreaded`: wasm, cpu) one process per core, as many as the free memory holds at ~1.5 GiB
 * each; on native and GPU backends 1 (they use every core, or one device, already).
 */
export function autoJobs(backend: string | undefined): number {
  const plugin =
    backend !== undefined && backendRegistry.has(backend) ? backendRegistry.get(backend) : undefined;
  if (!plugin?.singleThreaded) return 1;
  const byMemory = Math.floor(os.freemem() / (1.5 * 2 ** 30));
  return Math.max(1, Math.min(os.availableParallelism(), byMemory));
}

/**
 * The environment of each of `jobs` worker processes: the BLAS threads (if a BLAS is used) are
 * divided among them, so that `jobs` processes never run more BLAS threads than there are cores.
 * A `HYDRALORA_BLAS_THREADS` the user set is kept.
 */
export function workerEnv(jobs: number, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (env.HYDRALORA_BLAS_THREADS) return env;
  const threads = Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, jobs)));
  return { ...env, HYDRALORA_BLAS_THREADS: String(threads) };
}

/**
 * The worker script: `repro-worker.js` beside this module in the built package; when this module
 * runs from its TypeScript source (the tests), the built one in `../dist`.
 */
export function workerScript(): string {
  const here = new URL('./repro-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return fileURLToPath(here);
  const built = new URL('../dist/repro-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return fileURLToPath(built);
  throw new Error(
    `--jobs: the worker script ${fileURLToPath(here)} does not exist; build the trainer first (pnpm build)`,
  );
}

/**
 * Run `tasks` on `jobs` worker processes; resolves with the results in task order. The first
 * failure (a thrown error in a run, or a worker that dies) stops every worker and rejects with a
 * message naming the task.
 */
export function runPool<T>(
  tasks: readonly ReproTask[],
  jobs: number,
  backend: string,
  options: RunOptions,
  /** The parent computes too while the workers run: the cores are divided among workers + 1. */
  parentComputes = false,
  /** Aborting stops every worker and rejects. */
  signal?: AbortSignal,
): Promise<T[]> {
  const { onInfo, onStep, ...plain } = options;
  const results: T[] = new Array(tasks.length);
  const workers: ChildProcess[] = [];
  let next = 0;
  let finished = 0;
  let failed = false;
  const script = workerScript();
  return new Promise<T[]>((resolve, reject) => {
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) w.kill('SIGKILL');
      reject(error);
    };
    signal?.addEventListener('abort', () => fail(new Error('the pool was stopped')), { once: true });
    const describe = (i: number) => `${tasks[i]!.methodId} seed ${tasks[i]!.seed}`;
    const dispatch = (w: ChildProcess, state: { index: number }) => {
      if (next >= tasks.length) {
        state.index = -1;
        w.disconnect();
        return;
      }
      state.index = next++;
      const message: ToWorker = {
        type: 'run',
        index: state.index,
        backend,
        options: plain,
        task: tasks[state.index]!,
      };
      w.send(message);
    };
    const count = Math.max(1, Math.min(jobs, tasks.length));
    if (tasks.length === 0) {
      resolve(results);
      return;
    }
    for (let j = 0; j < count; j++) {
      const w = fork(script, [], {
        env: workerEnv(count + (parentComputes ? 1 : 0)),
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      workers.push(w);
      const state = { index: -1 };
      w.on('message', (m: FromWorker) => {
        if (failed) return;
        if (m.type === 'info') onInfo?.(m.message);
        else if (m.type === 'step') onStep?.(m.label, m.log, m.total);
        else if (m.type === 'error') fail(new Error(`${describe(m.index)}: ${m.message}`));
        else if (m.type === 'done') {
          results[m.index] = m.result as T;
          finished++;
          if (finished < tasks.length) dispatch(w, state);
          else {
            // Every task is done: let the idle workers exit too (an open IPC channel would keep
            // this process alive).
            state.index = -1;
            for (const x of workers) if (x.connected) x.disconnect();
            resolve(results);
          }
        }
      });
      w.on('error', (e) => fail(new Error(`repro worker ${j}: ${e.message}`)));
      w.on('exit', (code, signal) => {
        if (state.index >= 0 && !failed)
          fail(
            new Error(
              `repro worker ${j} exited (${signal ?? `code ${code}`}) while running ${describe(state.index)}`,
            ),
          );
      });
      dispatch(w, state);
    }
  });
}
