/**
 * The contract between the data-parallel pool, its workers and the caller's task module, and the
 * messages they exchange. Parameters and gradients travel as named Float32Arrays whose buffers are
 * transferred, not copied, across threads.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend.js';
import type { MemoryBudgetOptions } from '../memory.js';
import type { linear } from '../ops/linear.js';
import type { bmm, matMul } from '../ops/matmul.js';

/** Named flat float32 arrays: the trainable parameters, or their gradients. */
export type ParamSet = Record<string, Float32Array>;

/** What a task's step returns for one micro-batch. */
export interface GradientResult {
  /** Mean gradient over the micro-batch's tokens, one entry per parameter sent. */
  grads: ParamSet;
  /** Mean loss over the micro-batch's tokens. */
  loss: number;
  /** Number of tokens the means were taken over (the weight of this shard). */
  tokens: number;
}

/** Computes the gradients of one micro-batch for the given (trainable) parameters. */
export type GradientStep<Batch> = (
  params: ParamSet,
  batch: Batch,
) => GradientResult | Promise<GradientResult>;

/**
 * What a worker hands to the task module: the worker's own tfjs instance (with its backend
 * initialised) and the fast ops. Tasks must use these rather than importing tfjs themselves, so
 * that every tensor lives in the backend the worker set up.
 */
export interface TaskContext {
  tf: typeof tf;
  linear: typeof linear;
  matMul: typeof matMul;
  bmm: typeof bmm;
  /** Index of this worker in the pool (0-based). */
  workerIndex: number;
}

/**
 * The shape of a task module: it must export `createStep`, which builds the model and loss from a
 * structured-cloneable config once per worker and returns the step function.
 */
export interface TaskModule<Config, Batch> {
  createStep(config: Config, context: TaskContext): GradientStep<Batch> | Promise<GradientStep<Batch>>;
}

/** Data a worker starts with. */
export interface WorkerInit {
  taskModule: string;
  config: unknown;
  backend: BackendName;
  memory?: MemoryBudgetOptions;
  workerIndex: number;
  /** Number of workers in the pool: each worker's BLAS gets the cores divided by it. */
  workers: number;
}

export type ToWorker = { type: 'step'; id: number; params: ParamSet; batch: unknown } | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: GradientResult; ms: number }
  | { type: 'error'; id: number | null; message: string; stack?: string };

/** The transferable buffers of a parameter set (each once; shared memory is not transferable). */
export function buffersOf(params: ParamSet): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of Object.values(params)) if (a.buffer instanceof ArrayBuffer) buffers.add(a.buffer);
  return [...buffers];
}
