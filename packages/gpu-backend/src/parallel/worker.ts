/**
 * The data-parallel worker: initialises its own backend (wasm by default: tfjs-backend-wasm runs
 * one thread per instance under Node, so one worker per core is how a machine's cores are used),
 * loads the caller's task module, and answers step requests with gradients.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.js';
import { setBlasThreadBudget } from '../blas/index.js';
import { linear } from '../ops/linear.js';
import { bmm, matMul } from '../ops/matmul.js';
import {
  buffersOf,
  type FromWorker,
  type GradientStep,
  type TaskModule,
  type ToWorker,
  type WorkerInit,
} from './protocol.js';

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

function errorMessage(id: number | null, error: unknown): FromWorker {
  const err = error instanceof Error ? error : new Error(String(error));
  return { type: 'error', id, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  let step: GradientStep<unknown>;
  try {
    // OpenBLAS's thread count is per process: every worker sets the same share of the cores.
    setBlasThreadBudget(init.workers);
    await initBackend({ backend: init.backend, ...(init.memory ? { memory: init.memory } : {}) });
    const specifier = init.taskModule.startsWith('file:')
      ? init.taskModule
      : pathToFileURL(init.taskModule).href;
    const task = (await import(specifier)) as Partial<TaskModule<unknown, unknown>>;
    if (typeof task.createStep !== 'function') {
      throw new Error(`task module ${init.taskModule} must export a function createStep(config, context)`);
    }
    step = await task.createStep(init.config, { tf, linear, matMul, bmm, workerIndex: init.workerIndex });
  } catch (error) {
    post(errorMessage(null, error));
    return;
  }
  parentPort!.on('message', async (message: ToWorker) => {
    if (message.type === 'close') {
      parentPort!.close();
      return;
    }
    const start = performance.now();
    try {
      const result = await step(message.params, message.batch);
      // Transfer only buffers that the gradients own entirely (never, say, a view on a wasm heap).
      for (const [name, g] of Object.entries(result.grads)) {
        if (g instanceof Float32Array && g.byteLength !== g.buffer.byteLength) result.grads[name] = g.slice();
      }
      post(
        { type: 'result', id: message.id, result, ms: performance.now() - start },
        buffersOf(result.grads),
      );
    } catch (error) {
      post(errorMessage(message.id, error));
    }
  });
  post({ type: 'ready' });
}

void main();
