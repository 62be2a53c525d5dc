/**
 * The training loop, as a library function. It reads top to bottom like nanoGPT's: fetch the
 * micro-batches of a step, accumulate token-weighted gradients, clip, schedule, AdamW, check for
 * divergence, log, evaluate, checkpoint. What is trained (a full model for pre-training, or
 * adapters on a frozen model) is the caller's: it passes the trainable variables and a loss
 * function.
 */
import { sumOfSquares } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalLog, StepLog, TrainerCallback, TrainerControl } from './callbacks.js';
import {
  type CheckpointExtraState,
  loadCheckpoint,
  newRunId,
  prepareRunDir,
  type RunDirOptions,
  saveCheckpoint,
} from './checkpoint.js';
import type { Batch, BatchStream } from './data.js';
import { MetricsLog } from './metrics.js';
import { AdamW, getSchedule, gradientClipScale } from './optim.js';

export type { EvalLog, StepLog } from './callbacks.js';

export interface LoopConfig {
  steps: number;
  gradAccumSteps: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  checkpointEvery: number;
  logEvery: number;
  /** Schedule name (default cosine). */
  schedule?: string;
  beta1?: number;
  beta2?: number;
  /** Checkpoints of this run kept on disk (default 2). */
  keepCheckpoints?: number;
  /** Evaluate every N steps (0 = only at the end); needs `evaluate`. */
  evalEvery?: number;
  /** Divergence guard on the trainable parameters' global L2 norm (default 1e4). */
  maxParamNorm?: number;
}

export interface LoopOptions extends RunDirOptions {
  config: LoopConfig;
  params: Map<string, tf.Variable>;
  /** Mean loss over the batch's target tokens (plus any auxiliary loss); called inside tf.variableGrads. */
  lossFn: (batch: Batch, position: { step: number; micro: number }) => { loss: tf.Scalar; aux?: tf.Scalar };
  stream: BatchStream;
  outDir: string;
  /** Fields that must match on resume (method, r, …). */
  fingerprint?: Record<string, unknown>;
  /**
   * The loss of uniform predictions (ln V for a vocabulary of V): a step whose loss sits there
   * with a zero gradient norm means the model collapsed, and stops the run.
   */
  uniformLoss?: number;
  /** Held-out loss of the current parameters (no gradients); called every `evalEvery` steps and at the end. */
  evaluate?: () => number;
  callbacks?: TrainerCallback[];
  onStep?: (log: StepLog) => void;
  /** Stop after this step without a final checkpoint, as an interrupted run would (tests, time limits). */
  stopAfterStep?: number;
  /**
   * Called once per optimiser step after the parameters were updated, with the step's
   * accumulated (unclipped) gradients by parameter name, before they are freed: the adapter's
   * method hook (AdaLoRA's rank allocation) runs here. `step` is the 0-based step index.
   */
  afterStep?: (info: { step: number; totalSteps: number; grads: Map<string, tf.Tensor> }) => void;
  /** Called after each checkpoint is written. */
  onCheckpoint?: (dir: string, step: number) => void;
  /**
   * State outside `params` that checkpoints must hold for an exact resume (AdaLoRA's rank
   * allocator): `save` is called for every checkpoint, whose atomic write then includes it;
   * on resume, `restore` gets what the checkpoint holds (undefined when it holds none) after
   * the parameters were restored. A checkpoint holding such state cannot be resumed without it.
   */
  extraState?: {
    save(): CheckpointExtraState | undefined;
    restore(state: CheckpointExtraState | undefined, checkpoint: string): void;
  };
}

export interface LoopResult {
  steps: number;
  startStep: number;
  history: StepLog[];
  evalHistory: EvalLog[];
  seconds: number;
  tokens: number;
  resumedFrom?: string;
  /** Why a callback stopped the run early (e.g. early stopping). */
  stopReason?: string;
}

/** Thrown when training diverges (non-finite loss, collapse to uniform output, exploding parameters). */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

function globalNorm(tensors: Iterable<tf.Tensor>): number {
  return Math.sqrt(sumOfSquares(tensors));
}

export async function trainLoop(options: LoopOptions): Promise<LoopResult> {
  const { config, params, lossFn, stream, outDir } = options;
  const fingerprint = options.fingerprint ?? {};
  const callbacks = options.callbacks ?? [];
  const schedule = getSchedule(config.schedule ?? 'cosine');
  const maxParamNorm = config.maxParamNorm ?? 1e4;
  const { checkpoint: resumeFrom } = prepareRunDir(outDir, options);
  const optimizer = new AdamW(params, {
    lr: config.lr,
    weightDecay: config.weightDecay,
    ...(config.beta1 !== undefined ? { beta1: config.beta1 } : {}),
    ...(config.beta2 !== undefined ? { beta2: config.beta2 } : {}),
  });
  const metrics = new MetricsLog(`${outDir}/metrics.jsonl`);
  const history: StepLog[] = [];
  const evalHistory: EvalLog[] = [];
  let startStep = 0;
  let runId = newRunId();

  if (resumeFrom) {
    const state = loadCheckpoint(resumeFrom, params, optimizer);
    for (const [k, v] of Object.entries(fingerprint)) {
      if (JSON.stringify(state.fingerprint?.[k]) !== JSON.stringify(v)) {
        optimizer.dispose();
        throw new Error(
          `cannot resume from ${resumeFrom}: it was written with ${k}=${JSON.stringify(state.fingerprint?.[k])}, this run has ${k}=${JSON.stringify(v)}`,
        );
      }
    }
    try {
      if (options.extraState) options.extraState.restore(state.extra, resumeFrom);
      else if (state.extra)
        throw new Error(
          `cannot resume from ${resumeFrom}: its state.json has field 'extra' (a method's training state), which this run does not restore`,
        );
    } catch (error) {
      optimizer.dispose();
      throw error;
    }
    startStep = state.step;
    runId = state.runId ?? runId;
    stream.seek({ epoch: state.epoch, cursor: state.cursor });
    // Keep the metrics up to the checkpoint; the steps after it are recomputed.
    const kept = metrics
      .read()
      .filter((rec) => (rec.event !== 'step' && rec.event !== 'eval') || (rec.step as number) <= startStep);
    metrics.replace(kept);
    for (const rec of kept) {
      if (rec.event === 'step') history.push(rec as unknown as StepLog);
      if (rec.event === 'eval') evalHistory.push(rec as unknown as EvalLog);
    }
  }

  const varList = [...params.values()];
  const names = [...params.keys()];
  // tf.variableGrads keys gradients by each variable's own (tfjs) name, not by our parameter names.
  const tfName = new Map([...params].map(([n, v]) => [n, v.name] as const));
  const t0 = performance.now();
  let tokensTotal = 0;
  let lastCheckpoint = startStep;
  let stopReason: string | undefined;
  const control: TrainerControl = {
    stop(reason: string) {
      stopReason ??= reason;
    },
    get stopReason() {
      return stopReason;
    },
  };
  const checkpoint = (step: number) => {
    const dir = saveCheckpoint(
      outDir,
      params,
      optimizer,
      { step, epoch: stream.epoch, cursor: stream.cursor, runId, fingerprint },
      config.keepCheckpoints ?? 2,
      options.extraState?.save(),
    );
    lastCheckpoint = step;
    options.onCheckpoint?.(dir, step);
    for (const c of callbacks) c.onCheckpoint?.(dir, step);
  };
  const evaluate = (step: number) => {
    if (!options.evaluate) return;
    const log: EvalLog = { step, evalLoss: options.evaluate() };
    evalHistory.push(log);
    metrics.write({ event: 'eval', ...log });
    for (const c of callbacks) c.onEvaluate?.(log, control);
  };
  const diverged = (message: string): never => {
    metrics.write({ event: 'diverged', message });
    optimizer.dispose();
    throw new DivergenceError(message);
  };
  for (const c of callbacks)
    c.onTrainBegin?.({
      startStep,
      totalSteps: config.steps,
      ...(resumeFrom ? { resumedFrom: resumeFrom } : {}),
    });

  for (let step = startStep; step < config.steps; step++) {
    const stepStart = performance.now();
    const cpuStart = process.cpuUsage();
    const batches = Array.from({ length: config.gradAccumSteps }, () => stream.next());
    const stepTokens = batches.reduce((s, b) => s + b.targetTokens, 0);
    let summed: Map<string, tf.Tensor> | undefined;
    let lossSum = 0;
    let auxSum = 0;
    for (const [micro, batch] of batches.entries()) {
      const weight = stepTokens > 0 ? batch.targetTokens / stepTokens : 1 / batches.length;
      let aux: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = lossFn(batch, { step, micro });
        aux = out.aux ? tf.keep(out.aux) : undefined;
        return tf.mul(out.loss, weight) as tf.Scalar;
      }, varList);
      lossSum += value.dataSync()[0]!;
      if (aux) {
        auxSum += aux.dataSync()[0]! * weight;
        aux.dispose();
      }
      value.dispose();
      if (!summed)
        summed = new Map(names.map((n) => [n, grads[tfName.get(n)!] ?? tf.zerosLike(params.get(n)!)]));
      else {
        for (const n of names) {
          const g = grads[tfName.get(n)!];
          if (!g) continue;
          const prev = summed.get(n)!;
          summed.set(n, tf.add(prev, g));
          prev.dispose();
          g.dispose();
        }
      }
    }
    if (!Number.isFinite(lossSum)) {
      for (const g of summed!.values()) g.dispose();
      diverged(
        `training diverged at step ${step + 1}: loss is ${lossSum} (lower the learning rate, lr = ${config.lr})`,
      );
    }
    const grads = summed!;
    const { norm, scale: clipScale } = gradientClipScale(grads.values(), config.clipNorm);
    if (
      !Number.isFinite(norm) ||
      (options.uniformLoss !== undefined &&
        norm < 1e-12 &&
        Math.abs(lossSum - options.uniformLoss) < 1e-3 * options.uniformLoss)
    ) {
      for (const g of grads.values()) g.dispose();
      diverged(
        Number.isFinite(norm)
          ? `training diverged at step ${step + 1}: the model collapsed to uniform output (loss ${lossSum.toFixed(4)} = ln V, gradient norm 0); lower the learning rate (lr = ${config.lr})`
          : `training diverged at step ${step + 1}: gradient norm is ${norm} (lower the learning rate, lr = ${config.lr})`,
      );
    }
    const lr = schedule(step, { lr: config.lr, warmupSteps: config.warmupSteps, totalSteps: config.steps });
    optimizer.apply(grads, lr, clipScale);
    options.afterStep?.({ step, totalSteps: config.steps, grads });
    for (const g of grads.values()) g.dispose();
    const paramNorm = globalNorm(varList);
    if (!(paramNorm <= maxParamNorm))
      diverged(
        `training diverged at step ${step + 1}: the trainable parameters' global norm is ${paramNorm.toExponential(2)} (limit maxParamNorm = ${maxParamNorm}); lower the learning rate (lr = ${config.lr})`,
      );

    const stepAllTokens = batches.reduce((s, b) => s + b.attentionMask.flat().reduce((a, x) => a + x, 0), 0);
    tokensTotal += stepAllTokens;
    const now = performance.now();
    const log: StepLog = {
      step: step + 1,
      loss: lossSum,
      ...(auxSum ? { auxLoss: auxSum } : {}),
      lr,
      gradNorm: norm,
      tokens: stepTokens,
      tokensPerSecond: stepAllTokens / ((now - stepStart) / 1000),
      cpuSeconds: cpuSecondsSince(cpuStart),
      elapsedSeconds: (now - t0) / 1000,
      epoch: stream.epoch,
    };
    history.push(log);
    if ((step + 1) % config.logEvery === 0 || step + 1 === config.steps)
      metrics.write({ event: 'step', ...log });
    options.onStep?.(log);
    for (const c of callbacks) c.onStep?.(log, control);
    const evalEvery = config.evalEvery ?? 0;
    if (evalEvery > 0 && (step + 1) % evalEvery === 0) evaluate(step + 1);
    if (
      config.checkpointEvery > 0 &&
      (step + 1) % config.checkpointEvery === 0 &&
      step + 1 < config.steps &&
      stopReason === undefined
    )
      checkpoint(step + 1);
    // Let the event loop breathe (signals, progress rendering).
    if ((step & 7) === 7) await new Promise((r) => setImmediate(r));
    if (stopReason !== undefined) break;
    if (options.stopAfterStep !== undefined && step + 1 >= options.stopAfterStep) break;
  }
  const last = history.at(-1)?.step ?? startStep;
  const finished = history.length > 0 && (last === config.steps || stopReason !== undefined);
  if (finished) {
    if (options.evaluate && evalHistory.at(-1)?.step !== last) evaluate(last);
    if (last > startStep && lastCheckpoint !== last) checkpoint(last);
  }
  optimizer.dispose();
  const result: LoopResult = {
    steps: last,
    startStep,
    history,
    evalHistory,
    seconds: (performance.now() - t0) / 1000,
    tokens: tokensTotal,
    ...(resumeFrom ? { resumedFrom: resumeFrom } : {}),
    ...(stopReason !== undefined ? { stopReason } : {}),
  };
  for (const c of callbacks) c.onTrainEnd?.(result);
  return result;
}
