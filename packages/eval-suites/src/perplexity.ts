import type { EvalModel } from './model.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import { mapInBatches } from './util/batch.js';

/** Options of {@link evaluatePerplexity}. */
export interface PerplexityOptions {
  /** Words per scored window when the model has no `tokenLogprobs` (default 256). */
  windowWords?: number;
  /** Preceding words given as context to each window (default 256). */
  contextWords?: number;
  /** Windows per `score` call (default 8). */
  batchSize?: number;
  progress?: ProgressReporter;
}

/** The result of {@link evaluatePerplexity}. */
export interface PerplexityResult {
  /** Sum of the natural-log probabilities of the whole text. */
  logLikelihood: number;
  /** exp(-logLikelihood / tokens); only with `tokenLogprobs`. */
  tokenPerplexity?: number;
  tokens?: number;
  /** exp(-logLikelihood / words), words split on whitespace. */
  wordPerplexity: number;
  words: number;
  /** -logLikelihood / (ln 2 · UTF-8 bytes). */
  bitsPerByte: number;
  /** `tokenLogprobs` (exact) or `score` (sliding word windows). */
  method: 'tokenLogprobs' | 'score';
}

/**
 * Perplexity of `text`. With `model.tokenLogprobs` it is exact per token. Otherwise the text is cut
 * into windows of `windowWords` words (whitespace kept with the word that follows it), each scored
 * with `score(previous contextWords words, window)`; the sum is then the log-likelihood of the text
 * under that bounded context, reported per word and per byte.
 */
export async function evaluatePerplexity(
  model: EvalModel,
  text: string,
  options: PerplexityOptions = {},
): Promise<PerplexityResult> {
  if (text.trim() === '') throw new Error('perplexity: the text is empty');
  const words = text.trim().split(/\s+/).length;
  const bytes = Buffer.byteLength(text, 'utf8');
  let logLikelihood: number;
  let tokens: number | undefined;
  let method: PerplexityResult['method'];
  if (model.tokenLogprobs) {
    const logprobs = await model.tokenLogprobs(text);
    if (logprobs.length === 0) throw new Error('perplexity: tokenLogprobs returned no tokens');
    logLikelihood = logprobs.reduce((a, b) => a + b, 0);
    tokens = logprobs.length;
    method = 'tokenLogprobs';
  } else {
    const pieces = text.match(/\s*\S+/g) ?? [];
    const window = options.windowWords ?? 256;
    const context = options.contextWords ?? 256;
    const pairs: [string, string][] = [];
    for (let start = 0; start < pieces.length; start += window) {
      pairs.push([
        pieces.slice(Math.max(0, start - context), start).join(''),
        pieces.slice(start, start + window).join(''),
      ]);
    }
    const scores = await mapInBatches(
      pairs,
      options.batchSize ?? 8,
      (batch) =>
        model.score(
          batch.map((p) => p[0]),
          batch.map((p) => p[1]),
        ),
      options.progress ?? silentProgress,
      'perplexity',
    );
    logLikelihood = scores.reduce((a, b) => a + b, 0);
    method = 'score';
  }
  return {
    logLikelihood,
    ...(tokens === undefined ? {} : { tokens, tokenPerplexity: Math.exp(-logLikelihood / tokens) }),
    words,
    wordPerplexity: Math.exp(-logLikelihood / words),
    bitsPerByte: -logLikelihood / (Math.LN2 * bytes),
    method,
  };
}
