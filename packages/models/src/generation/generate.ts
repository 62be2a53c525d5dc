/**
 * Batched autoregressive generation in one visible loop: left-pad the prompts, run the model
 * (on the new token only when a KV cache holds the past), process each sequence's logits,
 * choose a token, check the stopping criteria, repeat.
 */

import { mulberry32 } from '@hydralora/common';
import { KVCache } from '../kv-cache.js';
import type { LlamaForCausalLM } from '../model.js';
import { assertTokenId, fitPrompts } from './inputs.js';
import {
  GreedySampler,
  type LogitsProcessor,
  MultinomialSampler,
  type Sampler,
  TemperatureProcessor,
  TopKProcessor,
  TopPProcessor,
} from './processors.js';
import {
  EosTokenCriterion,
  type FinishReason,
  MaxNewTokensCriterion,
  type StoppingCriterion,
  StopStringsCriterion,
} from './stopping.js';

/** Options of `generate`. */
export interface GenerateOptions {
  /** Maximum number of new tokens per sequence (default 32). */
  maxNewTokens?: number;
  /** Always pick the most likely token (default true unless temperature/topK/topP are given). */
  greedy?: boolean;
  /** Sampling temperature (> 0). */
  temperature?: number;
  /** Keep only the k most likely tokens before sampling. */
  topK?: number;
  /** Nucleus sampling: keep the most likely tokens up to cumulative probability p. */
  topP?: number;
  /** Seed of the sampling PRNG (default 0). */
  seed?: number;
  /** End-of-sequence id(s): a sequence stops after producing one (default: config.eos_token_id). */
  eosTokenId?: number | number[];
  /** Id used for left padding and after a sequence has finished (default: eos, else 0). */
  padTokenId?: number;
  /** Stop a sequence when its decoded new text contains one of these (needs `decode`). */
  stopStrings?: string[];
  /** Detokenizer used by stop strings. */
  decode?: (ids: readonly number[]) => string;
  /** Reuse past keys/values (default true); false recomputes the whole sequence each step. */
  useCache?: boolean;
  /** Extra logits processors, applied after temperature/top-k/top-p. */
  logitsProcessors?: LogitsProcessor[];
  /** Extra stopping criteria. */
  stoppingCriteria?: StoppingCriterion[];
  /** Per-sample component ids forwarded to adapters. */
  componentIds?: number[];
  /** Called after each step with the token chosen for every unfinished sequence. */
  onStep?: (step: number, tokens: (number | undefined)[]) => void;
  /**
   * A prompt longer than `max_position_embeddings` is an error unless this is true: then its first
   * tokens are dropped so that it fits, and `onTruncate` is told.
   */
  truncatePrompts?: boolean;
  /** Told about each truncated prompt (default: `console.warn`). */
  onTruncate?: (message: string) => void;
}

/** Result of `generate`. */
export interface GenerateResult {
  /** New tokens of each sequence (prompt excluded; the eos token included when produced). */
  tokens: number[][];
  /** Why each sequence stopped. */
  finishReasons: FinishReason[];
}

/** Generate continuations of `prompts` (token ids, any lengths) in one left-padded batch. */
export async function generate(
  model: LlamaForCausalLM,
  original: number[][],
  options: GenerateOptions = {},
): Promise<GenerateResult> {
  if (original.length === 0 || original.some((p) => p.length === 0)) {
    throw new Error('generate: every prompt needs at least one token');
  }
  const config = model.config;
  const eosIds = toArray(options.eosTokenId ?? config.eos_token_id ?? undefined);
  const pad = options.padTokenId ?? config.pad_token_id ?? eosIds[0] ?? 0;
  for (const [what, id] of [
    ...eosIds.map((id) => ['eosTokenId', id] as const),
    ['padTokenId', pad] as const,
  ]) {
    assertTokenId(id, config.vocab_size, `generate: ${what}`);
  }
  const prompts = fitPrompts(
    original,
    // virtual tokens of a prompt-learning adapter take the first positions
    config.max_position_embeddings - model.numVirtualTokens,
    'generate',
    options,
    config.vocab_size,
  );
  const sampling =
    options.greedy === false ||
    (options.greedy !== true &&
      (options.temperature !== undefined || options.topK !== undefined || options.topP !== undefined));
  const processors: LogitsProcessor[] = [];
  if (sampling) {
    if (options.temperature !== undefined) processors.push(new TemperatureProcessor(options.temperature));
    if (options.topK !== undefined) processors.push(new TopKProcessor(options.topK));
    if (options.topP !== undefined) processors.push(new TopPProcessor(options.topP));
  }
  processors.push(...(options.logitsProcessors ?? []));
  const sampler: Sampler = sampling
    ? new MultinomialSampler(mulberry32(options.seed ?? 0))
    : new GreedySampler();
  const criteria: StoppingCriterion[] = [new MaxNewTokensCriterion(options.maxNewTokens ?? 32)];
  if (eosIds.length > 0) criteria.push(new EosTokenCriterion(eosIds));
  if (options.stopStrings?.length) {
    if (!options.decode) throw new Error('generate: stopStrings need a decode function');
    criteria.push(new StopStringsCriterion(options.stopStrings, options.decode));
  }
  criteria.push(...(options.stoppingCriteria ?? []));

  // Left padding: every prompt ends at the same column, so the next token is always the last.
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.map((p) => [...new Array(width - p.length).fill(pad), ...p]);
  const mask = prompts.map((p) => [...new Array(width - p.length).fill(0), ...new Array(p.length).fill(1)]);
  const batch = prompts.length;
  const vocab = config.vocab_size;
  const tokens: number[][] = prompts.map(() => []);
  const finish: (FinishReason | undefined)[] = prompts.map(() => undefined);
  const cache = (options.useCache ?? true) ? new KVCache(config.num_hidden_layers) : undefined;
  try {
    let stepIds = ids;
    for (let step = 0; finish.some((f) => f === undefined); step++) {
      const logits = model.forward({
        inputIds: stepIds,
        attentionMask: mask,
        lastTokenOnly: true,
        ...(cache ? { kvCache: cache } : {}),
        ...(options.componentIds ? { componentIds: options.componentIds } : {}),
      });
      const data = (await logits.data()) as Float32Array;
      logits.dispose();
      assertFiniteLogits(data, vocab, finish, step);
      const chosen: (number | undefined)[] = [];
      for (let b = 0; b < batch; b++) {
        if (finish[b] !== undefined) {
          chosen.push(undefined);
          continue;
        }
        const row = data.slice(b * vocab, (b + 1) * vocab);
        for (const p of processors) p.process(row);
        const token = sampler.choose(row);
        const seq = tokens[b] as number[];
        seq.push(token);
        chosen.push(token);
        for (const c of criteria) {
          const reason = c.check(seq);
          if (reason) {
            finish[b] = reason;
            break;
          }
        }
        // the context is full: the next token would have no position
        if (model.numVirtualTokens + width + seq.length >= config.max_position_embeddings)
          finish[b] ??= 'length';
      }
      options.onStep?.(step, chosen);
      const next = chosen.map((t) => t ?? pad);
      next.forEach((t, b) => {
        (ids[b] as number[]).push(t);
        (mask[b] as number[]).push(1);
      });
      stepIds = cache ? next.map((t) => [t]) : ids;
    }
  } finally {
    cache?.dispose();
  }
  return { tokens, finishReasons: finish as FinishReason[] };
}

function assertFiniteLogits(
  data: Float32Array,
  vocab: number,
  finish: readonly (FinishReason | undefined)[],
  step: number,
): void {
  finish.forEach((f, b) => {
    if (f !== undefined) return;
    for (let k = b * vocab; k < (b + 1) * vocab; k++) {
      if (!Number.isFinite(data[k] as number)) {
        throw new Error(
          `generate: step ${step}: the logits of sequence ${b} hold ${data[k]} (token ${k - b * vocab}); the model's weights or adapter produce non-finite values`,
        );
      }
    }
  });
}

function toArray(ids: number | number[] | undefined | null): number[] {
  if (ids === undefined || ids === null) return [];
  return Array.isArray(ids) ? ids : [ids];
}
