/**
 * The child process of `hydralora repro --jobs N` and of the demo's parallel LoRA (see
 * repro-pool.ts): initialise the same tfjs backend as the parent, rebuild the corpus and
 * clustering once (repro tasks), then train and score each task it is sent, reporting progress
 * over IPC. A self-contained fine-tuning task needs no corpus: it carries its config and examples.
 */
import { type BackendName, initBackend } from '@hydralora/gpu-backend';
import { runFinetuneTask } from './finetune-task.js';
import { reproSetup, runReproTask } from './repro.js';
import type { FromWorker, ToWorker } from './repro-pool.js';
import type { RunOptions } from './run-embedded.js';

const send = (m: FromWorker) => process.send?.(m);
let setup: ReturnType<typeof reproSetup> | undefined;
let setupKey = '';

process.on('message', async (m: ToWorker) => {
  if (m.type !== 'run') return;
  try {
    await initBackend({ backend: m.backend as BackendName });
    if (m.task.finetune) {
      const result = await runFinetuneTask(m.task.finetune, {
        onInfo: (message) => send({ type: 'info', message }),
        onStep: (log, total) => send({ type: 'step', label: m.task.methodId, log, total }),
      });
      send({ type: 'done', index: m.index, result });
      return;
    }
    const key = JSON.stringify(m.options);
    if (!setup || key !== setupKey) {
      setup = reproSetup(m.options);
      setupKey = key;
    }
    const options: RunOptions = {
      ...m.options,
      onInfo: (message) => send({ type: 'info', message }),
      onStep: (label, log, total) => send({ type: 'step', label, log, total }),
    };
    const result = await runReproTask(setup, options, m.task);
    send({ type: 'done', index: m.index, result });
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    send({
      type: 'error',
      index: m.index,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
    });
  }
});
