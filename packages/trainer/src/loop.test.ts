import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { earlyStopping } from './callbacks.js';
import { type Batch, BatchStream, IGNORE_INDEX, type TokenizedExample } from './data.js';
import { DivergenceError, type LoopConfig, trainLoop } from './loop.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** Examples whose "tokens" are features; the target is a fixed linear function of them. */
const truth = [0.5, -1, 2];
const examples: TokenizedExample[] = Array.from({ length: 24 }, (_, i) => {
  const x = [Math.sin(i), Math.cos(3 * i), (i % 5) / 5];
  const y = x.reduce((s, v, j) => s + v * truth[j]!, 0);
  // inputIds carry the features ×1000; the label carries y ×1000 (so batches stay integer arrays).
  return {
    inputIds: x.map((v) => Math.round(v * 1000)),
    labels: [IGNORE_INDEX, IGNORE_INDEX, Math.round(y * 1000)],
  };
});

function regressionLoss(w: tf.Variable) {
  return (batch: Batch) => {
    const x = tf.div(tf.tensor2d(batch.inputIds), 1000);
    const y = tf.div(tf.tensor1d(batch.labels.map((l) => l[2]!)), 1000);
    const pred = tf.squeeze(tf.matMul(x, tf.reshape(w, [3, 1])), [1]);
    return { loss: tf.mean(tf.square(tf.sub(pred, y))) as tf.Scalar };
  };
}

const config = (steps: number): LoopConfig => ({
  steps,
  gradAccumSteps: 2,
  lr: 0.1,
  warmupSteps: 2,
  weightDecay: 0,
  clipNorm: 5,
  checkpointEvery: 3,
  logEvery: 1,
});

async function run(outDir: string, steps: number, resume: boolean, stopAt?: number) {
  const w = tf.tidy(() => tf.variable(tf.zeros([3])));
  const stream = new BatchStream(examples, 4, 11, 0);
  const cfg = config(steps);
  const result = await trainLoop({
    config: cfg,
    ...(stopAt ? { stopAfterStep: stopAt } : {}),
    params: new Map([['w', w]]),
    lossFn: regressionLoss(w),
    stream,
    outDir,
    resume,
    fingerprint: { method: 'test' },
  });
  const values = Array.from(w.dataSync());
  w.dispose();
  return { result, values };
}

describe('trainLoop', () => {
  it('reduces the loss and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const out = mkdtempSync(path.join(os.tmpdir(), 'loop-'));
    const { result } = await run(out, 30, false);
    expect(result.history.at(-1)!.loss).toBeLessThan(result.history[0]!.loss / 10);
    expect(tf.memory().numTensors).toBe(before);
    const lines = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(30);
  });

  it('resumes from a checkpoint onto exactly the same trajectory', async () => {
    const straight = await run(mkdtempSync(path.join(os.tmpdir(), 'loop-')), 12, false);
    const out = mkdtempSync(path.join(os.tmpdir(), 'loop-'));
    // A run interrupted after step 8 (its last checkpoint is step 6), then a resumed run to 12.
    const partial = await run(out, 12, false, 8);
    expect(partial.result.steps).toBe(8);
    const resumed = await run(out, 12, true);
    expect(resumed.result.startStep).toBe(6);
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(12);
    expect(resumed.result.resumedFrom).toMatch(/step-000006$/);
    resumed.values.forEach((v, i) => expect(v).toBeCloseTo(straight.values[i]!, 6));
    const losses = resumed.result.history.map((h) => h.loss);
    straight.result.history.map((h) => h.loss).forEach((l, i) => expect(losses[i]).toBeCloseTo(l, 6));
  });

  it('refuses to resume a run with a different fingerprint', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'loop-'));
    await run(out, 3, false);
    const w = tf.tidy(() => tf.variable(tf.zeros([3])));
    await expect(
      trainLoop({
        config: config(6),
        params: new Map([['w', w]]),
        lossFn: regressionLoss(w),
        stream: new BatchStream(examples, 4, 11, 0),
        outDir: out,
        resume: true,
        fingerprint: { method: 'other' },
      }),
    ).rejects.toThrow(/method="test", this run has method="other"/);
    w.dispose();
  });

  it('stops on divergence with a clear error: non-finite loss, collapse to ln V with zero gradient, exploding parameters', async () => {
    const w = tf.tidy(() => tf.variable(tf.zeros([3])));
    const base = {
      params: new Map([['w', w]]),
      stream: new BatchStream(examples, 4, 11, 0),
      fingerprint: {},
    };
    const outDir = () => mkdtempSync(path.join(os.tmpdir(), 'loop-div-'));
    // 1. A loss that becomes NaN at step 2.
    let calls = 0;
    await expect(
      trainLoop({
        ...base,
        config: config(5),
        outDir: outDir(),
        lossFn: () => ({ loss: tf.mul(tf.sum(w), ++calls > 2 ? Number.NaN : 1) as tf.Scalar }),
      }),
    ).rejects.toThrow(/training diverged at step 2: loss is NaN \(lower the learning rate, lr = 0.1\)/);
    // 2. The loss of uniform predictions (ln V) with a zero gradient: the model has collapsed.
    const lnV = Math.log(2048);
    await expect(
      trainLoop({
        ...base,
        config: config(5),
        outDir: outDir(),
        uniformLoss: lnV,
        lossFn: () => ({ loss: tf.add(tf.mul(tf.sum(w), 0), lnV) as tf.Scalar }),
      }),
    ).rejects.toThrow(
      /step 1: the model collapsed to uniform output \(loss 7.6246 = ln V, gradient norm 0\)/,
    );
    // 3. A learning rate of 1000 blows the parameters up past maxParamNorm.
    const out = outDir();
    const error = await trainLoop({
      ...base,
      config: { ...config(5), lr: 1000, warmupSteps: 0, maxParamNorm: 100 },
      outDir: out,
      lossFn: regressionLoss(w),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as Error).message).toMatch(
      /step 1: the trainable parameters' global norm is 1\.73e\+3 \(limit maxParamNorm = 100\)/,
    );
    const last = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(last).event).toBe('diverged');
    w.dispose();
  });

  it('evaluates during training and stops early when the evaluation stops improving', async () => {
    const w = tf.tidy(() => tf.variable(tf.zeros([3])));
    const evals = [5, 4, 4.5, 4.2, 4.1, 3];
    let i = 0;
    const out = mkdtempSync(path.join(os.tmpdir(), 'loop-eval-'));
    const result = await trainLoop({
      config: { ...config(12), evalEvery: 2 },
      params: new Map([['w', w]]),
      lossFn: regressionLoss(w),
      stream: new BatchStream(examples, 4, 11, 0),
      outDir: out,
      evaluate: () => evals[i++]!,
      callbacks: [earlyStopping({ patience: 3 })],
    });
    // Evaluations at steps 2, 4, 6, 8: best 4 at step 4, then three without improvement.
    expect(result.evalHistory.map((e) => [e.step, e.evalLoss])).toEqual([
      [2, 5],
      [4, 4],
      [6, 4.5],
      [8, 4.2],
      [10, 4.1],
    ]);
    expect(result.steps).toBe(10);
    expect(result.stopReason).toMatch(/early stopping at step 10/);
    // The stopped run is complete: its final checkpoint is at the step it stopped.
    expect(readFileSync(path.join(out, 'checkpoints', 'latest'), 'utf8').trim()).toBe('step-000010');
    w.dispose();
  });
});
