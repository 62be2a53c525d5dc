/**
 * Scoring: log-probabilities (natural log) of continuations given prompts, batched with right
 * padding (causal attention makes trailing padding invisible to earlier tokens).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaForCausalLM } from '../model.js';

/** Options of `scoreContinuations`. */
export interface ScoreOptions {
  /** Sequences per forward pass (default 8). */
  batchSize?: number;
  /** Per-sample component ids forwarded to adapters (one per prompt). */
  componentIds?: number[];
}

/** Summed and per-token log-probabilities of each continuation. */
export interface ScoreResult {
  /** Σ log p(continuation tokens | prompt) per pair. */
  total: number[];
  /** log p(c_i | prompt, c_<i) per continuation token. */
  perToken: number[][];
}

/** Score `continuations[i]` after `prompts[i]` (token ids; prompts need ≥ 1 token). */
export async function scoreContinuations(
  model: LlamaForCausalLM,
  prompts: number[][],
  continuations: number[][],
  options: ScoreOptions = {},
): Promise<ScoreResult> {
  if (prompts.length !== continuations.length) {
    throw new Error(
      `scoreContinuations: ${prompts.length} prompts but ${continuations.length} continuations`,
    );
  }
  prompts.forEach((p, i) => {
    if (p.length === 0)
      throw new Error(`scoreContinuations: prompt ${i} is empty (the first token has no context)`);
  });
  const batchSize = options.batchSize ?? 8;
  const vocab = model.config.vocab_size;
  const perToken: number[][] = [];
  for (let start = 0; start < prompts.length; start += batchSize) {
    const end = Math.min(start + batchSize, prompts.length);
    const seqs = prompts.slice(start, end).map((p, i) => [...p, ...(continuations[start + i] as number[])]);
    const width = Math.max(...seqs.map((s) => s.length));
    const ids = seqs.map((s) => [...s, ...new Array(width - s.length).fill(0)]);
    const mask = seqs.map((s) => [...new Array(s.length).fill(1), ...new Array(width - s.length).fill(0)]);
    // flat index into [b, t, vocab] log-probs for each continuation token (predicted at t-1)
    const index: number[] = [];
    seqs.forEach((_, i) => {
      const p = (prompts[start + i] as number[]).length;
      const c = continuations[start + i] as number[];
      c.forEach((token, j) => {
        index.push((i * width + p + j - 1) * vocab + token);
      });
    });
    const componentIds = options.componentIds?.slice(start, end);
    const picked = tf.tidy(() => {
      const logits = model.forward({
        inputIds: ids,
        attentionMask: mask,
        ...(componentIds ? { componentIds } : {}),
      });
      const logp = tf.reshape(tf.logSoftmax(logits), [-1]);
      return tf.gather(logp, tf.tensor1d(index, 'int32'));
    });
    const values = Array.from(await picked.data());
    picked.dispose();
    let k = 0;
    for (let i = start; i < end; i++) {
      const n = (continuations[i] as number[]).length;
      perToken.push(values.slice(k, k + n));
      k += n;
    }
  }
  return { total: perToken.map((row) => row.reduce((a, b) => a + b, 0)), perToken };
}
