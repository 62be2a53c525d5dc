/**
 * Text-level entry points used by the CLI: load a model directory with its tokenizer, generate
 * text from a prompt, score a text token by token.
 */
import { type LoadOptions, loadModel } from './checkpoint.js';
import { type GenerateOptions, generate } from './generation/generate.js';
import { scoreContinuations } from './generation/score.js';
import { truncateAtStop } from './generation/stopping.js';
import type { LlamaForCausalLM } from './model.js';
import { type LoadedTokenizer, loadTokenizer } from './tokenizer.js';

/** Options of `loadPretrained`. */
export interface LoadPretrainedOptions extends LoadOptions {
  /**
   * Called once the base model is loaded, before it is used: the place where an adapter is
   * attached (e.g. wrapping layers from `model.namedLinears()` with `setAdapter`).
   */
  applyAdapter?: (model: LlamaForCausalLM) => Promise<void>;
}

/** A model and its tokenizer. */
export interface Pretrained {
  model: LlamaForCausalLM;
  tokenizer: LoadedTokenizer;
}

/** Load `dir` (config.json, safetensors, tokenizer.json) and apply the adapter hook if given. */
export async function loadPretrained(dir: string, options: LoadPretrainedOptions = {}): Promise<Pretrained> {
  const tokenizer = loadTokenizer(dir);
  const model = loadModel(dir, options);
  if (options.applyAdapter) await options.applyAdapter(model);
  return { model, tokenizer };
}

/** Generated text and its tokens. */
export interface GenerateTextResult {
  /** The prompt's token ids. */
  promptTokens: number[];
  /** The new token ids. */
  tokens: number[];
  /** The decoded new text (special tokens skipped, cut before any stop string). */
  text: string;
  finishReason: string;
}

/** Encode `prompt`, generate, decode. */
export async function generateText(
  { model, tokenizer }: Pretrained,
  prompt: string,
  options: Omit<GenerateOptions, 'decode'> = {},
): Promise<GenerateTextResult> {
  const promptTokens = tokenizer.encode(prompt);
  if (promptTokens.length === 0)
    throw new Error(`generate: the prompt ${JSON.stringify(prompt)} encodes to no tokens`);
  const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const eos = options.eosTokenId ?? model.config.eos_token_id ?? tokenizer.eosTokenId;
  const result = await generate(model, [promptTokens], {
    ...options,
    decode,
    ...(eos !== undefined && eos !== null ? { eosTokenId: eos } : {}),
    ...(options.padTokenId === undefined && tokenizer.padTokenId !== undefined
      ? { padTokenId: tokenizer.padTokenId }
      : {}),
  });
  const tokens = result.tokens[0] as number[];
  return {
    promptTokens,
    tokens,
    text: truncateAtStop(decode(tokens), options.stopStrings ?? []),
    finishReason: result.finishReasons[0] as string,
  };
}

/** `tokens` of `text` and log p(token_i | tokens_<i) for i ≥ 1 (natural log). */
export async function scoreText(
  { model, tokenizer }: Pretrained,
  text: string,
): Promise<{ tokens: number[]; logprobs: number[] }> {
  const tokens = tokenizer.encode(text);
  if (tokens.length < 2) {
    throw new Error(
      `score: the text ${JSON.stringify(text)} has ${tokens.length} token(s); at least 2 are needed`,
    );
  }
  const { perToken } = await scoreContinuations(model, [tokens.slice(0, 1)], [tokens.slice(1)]);
  return { tokens, logprobs: perToken[0] as number[] };
}
