/**
 * One self-contained fine-tuning and its evaluation, as a worker process runs it for `hydralora
 * demo` (the equal-size LoRA trains in a child process while HydraLoRA trains in the parent):
 * everything it needs travels in the task (the training config and the held-out examples), and
 * everything the caller needs comes back as plain data.
 */
import type { EnergyReport } from '@hydralora/gpu-backend';
import { finetune, parseTrainConfig, type StepLog, type TrainConfigInput } from '@hydralora/trainer';
import type { ExactMatchReport, InstructionExample } from './embedded/index.js';
import { evaluateExamples } from './evaluate.js';

export interface FinetuneTask {
  /** A training config as `hydralora train` reads it (its `out` receives the adapter). */
  config: TrainConfigInput;
  /** Held-out examples to score the trained model on. */
  test: InstructionExample[];
}

/** What a fine-tuning cost and scored (the serialisable part of FinetuneResult and the evaluation). */
export interface FinetuneTaskResult {
  trainable: number;
  basePercent: number;
  seconds: number;
  tokensPerSecond: number;
  energy: EnergyReport;
  history: StepLog[];
  predictions: string[];
  report: ExactMatchReport;
}

export async function runFinetuneTask(
  task: FinetuneTask,
  hooks: { onInfo?: (m: string) => void; onStep?: (log: StepLog, total: number) => void } = {},
): Promise<FinetuneTaskResult> {
  const ft = await finetune(parseTrainConfig(task.config), {
    overwrite: true,
    ...(hooks.onInfo ? { onInfo: hooks.onInfo } : {}),
    ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
  });
  try {
    const ev = await evaluateExamples(ft.pretrained, task.test);
    return {
      trainable: ft.trainable,
      basePercent: ft.basePercent,
      seconds: ft.seconds,
      tokensPerSecond: ft.tokensPerSecond,
      energy: ft.energy,
      history: ft.history,
      predictions: ev.predictions,
      report: ev.report,
    };
  } finally {
    ft.adapter.dispose();
    ft.pretrained.model.dispose();
  }
}
