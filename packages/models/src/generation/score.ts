/**
 * Scoring: log-probabilities (natural log) of continuations given prompts, batched with right
 * padding (causal attention makes trailing padding invisible to earlier tokens).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaForCausalLM } from '../model.js';
import { assertTokenId, fitPrompts } from './inputs.js';

/** Options of `scoreContinuations`. */
export interface ScoreOptions {
  /** Sequences per forward pass (default 8). */
  batchSize?: number;
  /** Per-sample component ids forwarded to adapters (one per prompt). */
  componentIds?: number[];
  /**
   * A prompt + continuation longer than `max_position_embeddings` is an error unless this is true:
   * then the prompt's first tokens are dropped so that the pair fits, and `onTruncate` is told.
   */
  truncatePrompts?: boolean;
  /** Told about each truncated prompt (default: `console.warn`). */
  onTruncate?: (message: string) => void;
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
  original: number[][],
  continuations: number[][],
  options: ScoreOptions = {},
): Promise<ScoreResult> {
  if (original.length !== continuations.length) {
    throw new Error(
      `scoreContinuations: ${original.length} prompts but ${continuations.length} continuations`,
    );
  }
  const vocab = model.config.vocab_size;
  const maxPositions = model.config.max_position_embeddings - model.numVirtualTokens; // virtual tokens come first
  const prompts = original.map((p, i) => {
    if (p.length === 0)
      throw new Error(`scoreContinuations: prompt ${i} is empty (the first token has no context)`);
    const continuation = continuations[i] as number[];
    continuation.forEach((id, t) =>
      assertTokenId(id, vocab, `scoreContinuations: continuation ${i} token ${t}`),
    );
    if (continuation.length >= maxPositions) {
      throw new Error(
        `scoreContinuations: continuation ${i} has ${continuation.length} tokens; max_position_embeddings is ${maxPositions}`,
      );
    }
    const room = maxPositions - continuation.length;
    return fitPrompts([p], room, `scoreContinuations (pair ${i})`, options, vocab)[0] as number[];
  });
  const batchSize = options.batchSize ?? 8;
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
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad !== -1) {
      let pair = start;
      let token = bad;
      while (token >= (continuations[pair] as number[]).length)
        token -= (continuations[pair++] as number[]).length;
      throw new Error(
        `scoreContinuations: the log-probability of token ${token} of continuation ${pair} is ${values[bad]}; the model's weights or adapter produce non-finite values`,
      );
    }
    let k = 0;
    for (let i = start; i < end; i++) {
      const n = (continuations[i] as number[]).length;
      perToken.push(values.slice(k, k + n));
      k += n;
    }
  }
  return { total: perToken.map((row) => row.reduce((a, b) => a + b, 0)), perToken };
}
