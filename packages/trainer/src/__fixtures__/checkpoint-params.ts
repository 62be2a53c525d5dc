/** Test fixture: one parameter and its AdamW state, set up per test file, and a checkpoint writer. */
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll } from 'vitest';
import { saveCheckpoint } from '../checkpoint.js';
import { AdamW } from '../optim.js';

export function checkpointParams() {
  let w: tf.Variable;
  let optimizer: AdamW;
  const params = () => new Map([['w', w]]);
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2, 3])));
    optimizer = new AdamW(params(), { lr: 0.1 });
  });
  afterAll(() => {
    w.dispose();
    optimizer.dispose();
  });
  return {
    params,
    optimizer: () => optimizer,
    /** Write a checkpoint of run `runId` at `step` into `dir`, keeping `keep` of that run. */
    save: (dir: string, step: number, runId = 'r', keep = 2) =>
      saveCheckpoint(dir, params(), optimizer, { step, epoch: 0, cursor: step, runId, fingerprint: {} }, keep),
  };
}
