/**
 * The training loop, as a library function. It reads top to bottom like nanoGPT's: fetch the
 * micro-batches of a step, accumulate token-weighted gradients, clip, schedule, AdamW, log,
 * checkpoint. What is trained (a full model for pre-training, or adapters on a frozen model) is
 * the caller's: it passes the trainable variables and a loss function.
 */
import * as tf from '@tensorflow/tfjs-core';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { Batch, BatchStream } from './data.js';
import { MetricsLog } from './metrics.js';
import { AdamW, clipByGlobalNorm, cosineWithWarmup } from './optim.js';

export interface LoopConfig {
  steps: number;
  gradAccumSteps: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  checkpointEvery: number;
  logEvery: number;
}

export interface StepLog {
  step: number;
  loss: number;
  /** Auxiliary (router) loss included in `loss`, if any. */
  auxLoss?: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
  epoch: number;
}

export interface LoopOptions {
  config: LoopConfig;
  params: Map<string, tf.Variable>;
  /** Mean loss over the batch's target tokens (plus any auxiliary loss); called inside tf.variableGrads. */
  lossFn: (batch: Batch, position: { step: number; micro: number }) => { loss: tf.Scalar; aux?: tf.Scalar };
  stream: BatchStream;
  outDir: string;
  resume?: boolean;
  /** Fields that must match on resume (method, r, …). */
  fingerprint?: Record<string, unknown>;
  onStep?: (log: StepLog) => void;
  /** Stop after this step without a final checkpoint, as an interrupted run would (tests, time limits). */
  stopAfterStep?: number;
  /** Called after each checkpoint is written. */
  onCheckpoint?: (dir: string, step: number) => void;
}

export interface LoopResult {
  steps: number;
  startStep: number;
  history: StepLog[];
  seconds: number;
  tokens: number;
  resumedFrom?: string;
}

export async function trainLoop(options: LoopOptions): Promise<LoopResult> {
  const { config, params, lossFn, stream, outDir } = options;
  const fingerprint = options.fingerprint ?? {};
  const optimizer = new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay });
  const metrics = new MetricsLog(`${outDir}/metrics.jsonl`);
  const history: StepLog[] = [];
  let startStep = 0;
  let resumedFrom: string | undefined;

  if (options.resume) {
    const ckpt = latestCheckpoint(outDir);
    if (ckpt) {
      const state = loadCheckpoint(ckpt, params, optimizer);
      for (const [k, v] of Object.entries(fingerprint)) {
        if (JSON.stringify(state.fingerprint?.[k]) !== JSON.stringify(v)) {
          throw new Error(
            `cannot resume from ${ckpt}: it was written with ${k}=${JSON.stringify(state.fingerprint?.[k])}, this run has ${k}=${JSON.stringify(v)}`,
          );
        }
      }
      startStep = state.step;
      stream.seek({ epoch: state.epoch, cursor: state.cursor });
      resumedFrom = ckpt;
      // Keep the metrics up to the checkpoint; the steps after it are recomputed.
      const kept = metrics.read().filter((rec) => rec.event !== 'step' || (rec.step as number) <= startStep);
      metrics.replace(kept);
      for (const rec of kept) if (rec.event === 'step') history.push(rec as unknown as StepLog);
    }
  }

  const varList = [...params.values()];
  const names = [...params.keys()];
  // tf.variableGrads keys gradients by each variable's own (tfjs) name, not by our parameter names.
  const tfName = new Map([...params].map(([n, v]) => [n, v.name] as const));
  const t0 = performance.now();
  let tokensTotal = 0;
  const checkpoint = (step: number) => {
    const dir = saveCheckpoint(outDir, params, optimizer, {
      step,
      epoch: stream.epoch,
      cursor: stream.cursor,
      fingerprint,
    });
    options.onCheckpoint?.(dir, step);
  };

  for (let step = startStep; step < config.steps; step++) {
    const stepStart = performance.now();
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
    if (!Number.isFinite(lossSum))
      throw new Error(`training diverged at step ${step + 1}: loss is ${lossSum}`);
    const { norm, grads } = clipByGlobalNorm(summed!, config.clipNorm);
    const lr = cosineWithWarmup(step, {
      lr: config.lr,
      warmupSteps: config.warmupSteps,
      totalSteps: config.steps,
    });
    optimizer.apply(grads, lr);
    for (const g of grads.values()) g.dispose();

    tokensTotal += batches.reduce((s, b) => s + b.attentionMask.flat().reduce((a, x) => a + x, 0), 0);
    const now = performance.now();
    const log: StepLog = {
      step: step + 1,
      loss: lossSum,
      ...(auxSum ? { auxLoss: auxSum } : {}),
      lr,
      gradNorm: norm,
      tokens: stepTokens,
      tokensPerSecond:
        batches.reduce((s, b) => s + b.attentionMask.flat().reduce((a, x) => a + x, 0), 0) /
        ((now - stepStart) / 1000),
      elapsedSeconds: (now - t0) / 1000,
      epoch: stream.epoch,
    };
    history.push(log);
    if ((step + 1) % config.logEvery === 0 || step + 1 === config.steps)
      metrics.write({ event: 'step', ...log });
    options.onStep?.(log);
    if (config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0 && step + 1 < config.steps)
      checkpoint(step + 1);
    // Let the event loop breathe (signals, progress rendering).
    if ((step & 7) === 7) await new Promise((r) => setImmediate(r));
    if (options.stopAfterStep !== undefined && step + 1 >= options.stopAfterStep) break;
  }
  const finished = history.length > 0 && history.at(-1)!.step === config.steps;
  if (finished && config.steps > startStep) checkpoint(config.steps);
  optimizer.dispose();
  return {
    steps: history.at(-1)?.step ?? startStep,
    startStep,
    history,
    seconds: (performance.now() - t0) / 1000,
    tokens: tokensTotal,
    ...(resumedFrom ? { resumedFrom } : {}),
  };
}
