/**
 * What the training loop reports, and the hooks a caller plugs into it: a callback may watch
 * steps, evaluations and checkpoints, and stop the run through the control object (as Hugging
 * Face's `TrainerCallback` / `TrainerControl`). Metrics JSON lines are always written by the loop.
 */

export interface StepLog {
  step: number;
  loss: number;
  /** Auxiliary (router) loss included in `loss`, if any. */
  auxLoss?: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  tokensPerSecond: number;
  /** CPU time of this process during the step (user + system, every thread), in seconds. */
  cpuSeconds: number;
  elapsedSeconds: number;
  epoch: number;
}

/** A held-out evaluation: mean loss over the evaluation data's target tokens. */
export interface EvalLog {
  step: number;
  evalLoss: number;
}

export interface TrainerControl {
  /** Stop after the current step (the loop then evaluates, checkpoints and returns). */
  stop(reason: string): void;
  readonly stopReason: string | undefined;
}

export interface TrainerCallback {
  onTrainBegin?(info: { startStep: number; totalSteps: number; resumedFrom?: string }): void;
  onStep?(log: StepLog, control: TrainerControl): void;
  onEvaluate?(log: EvalLog, control: TrainerControl): void;
  onCheckpoint?(dir: string, step: number): void;
  onTrainEnd?(result: {
    steps: number;
    history: StepLog[];
    evalHistory: EvalLog[];
    stopReason?: string;
  }): void;
}

/**
 * Stop when the evaluation loss has not improved by more than `minDelta` for `patience`
 * evaluations in a row.
 */
export function earlyStopping(options: { patience: number; minDelta?: number }): TrainerCallback {
  const { patience, minDelta = 0 } = options;
  if (!Number.isInteger(patience) || patience < 1)
    throw new Error(`earlyStopping: patience must be a positive integer, got ${patience}`);
  let best = Number.POSITIVE_INFINITY;
  let bad = 0;
  return {
    onEvaluate(log, control) {
      if (log.evalLoss < best - minDelta) {
        best = log.evalLoss;
        bad = 0;
        return;
      }
      bad += 1;
      if (bad >= patience)
        control.stop(
          `early stopping at step ${log.step}: no improvement of the evaluation loss over ${best.toFixed(4)} in ${patience} evaluations`,
        );
    },
  };
}

/** Print one line every `every` steps (default 10) through `write` (default: stderr). */
export function progressCallback(
  options: { every?: number; write?: (line: string) => void } = {},
): TrainerCallback {
  const every = options.every ?? 10;
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  let total = 0;
  return {
    onTrainBegin: (info) => {
      total = info.totalSteps;
    },
    onStep: (log) => {
      if (log.step % every === 0 || log.step === total)
        write(
          `step ${log.step}/${total} loss ${log.loss.toFixed(4)} lr ${log.lr.toExponential(2)} grad-norm ${log.gradNorm.toFixed(3)}`,
        );
    },
    onEvaluate: (log) => write(`step ${log.step}/${total} eval loss ${log.evalLoss.toFixed(4)}`),
  };
}
