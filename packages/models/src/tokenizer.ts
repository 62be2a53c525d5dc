/**
 * Tokenizers from a model directory: `tokenizer.json` + `tokenizer_config.json` through
 * @huggingface/tokenizers, and the chat template (`chat_template` in tokenizer_config.json)
 * rendered with @huggingface/jinja.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

/** One chat message. */
export interface ChatMessage {
  role: string;
  content: string;
}

/** A loaded tokenizer with the ids generation needs. */
export interface LoadedTokenizer {
  /** The underlying @huggingface/tokenizers object. */
  readonly tokenizer: Tokenizer;
  /** tokenizer_config.json as read (empty object when absent). */
  readonly config: Record<string, unknown>;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  /** Token ids of `text` (special tokens added per the tokenizer's post-processor unless false). */
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  /** Text of `ids`. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** Render the chat template; throws when the tokenizer has none. */
  applyChatTemplate(messages: ChatMessage[], options?: { addGenerationPrompt?: boolean }): string;
}

function readJson(file: string, required: boolean): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) {
    if (required) throw new Error(`${file}: not found (a tokenizer needs tokenizer.json)`);
    return undefined;
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Load `dir/tokenizer.json` (+ `dir/tokenizer_config.json` when present). */
export function loadTokenizer(dir: string): LoadedTokenizer {
  const tokenizerFile = path.join(dir, 'tokenizer.json');
  const configFile = path.join(dir, 'tokenizer_config.json');
  const json = readJson(tokenizerFile, true) as Record<string, unknown>;
  const config = readJson(configFile, false) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (error) {
    throw new Error(`${tokenizerFile}: cannot build the tokenizer (${(error as Error).message})`);
  }
  const idOf = (field: string): number | undefined => {
    const text = tokenText(config[field]);
    if (text === undefined) return undefined;
    const id = tokenizer.token_to_id(text);
    if (id === undefined)
      throw new Error(
        `${configFile}: field "${field}" is ${JSON.stringify(text)}, which is not in the vocabulary`,
      );
    return id;
  };
  const bosTokenId = idOf('bos_token');
  const eosTokenId = idOf('eos_token');
  const padTokenId = idOf('pad_token') ?? eosTokenId;
  const rawTemplate = config.chat_template;
  let template: Template | undefined;
  if (rawTemplate !== undefined && rawTemplate !== null) {
    if (typeof rawTemplate !== 'string') {
      throw new Error(
        `${configFile}: field "chat_template" must be a string (named templates are not supported)`,
      );
    }
    try {
      template = new Template(rawTemplate);
    } catch (error) {
      throw new Error(`${configFile}: field "chat_template" does not parse (${(error as Error).message})`);
    }
  }
  return {
    tokenizer,
    config,
    bosTokenId,
    eosTokenId,
    padTokenId,
    encode: (text, options = {}) =>
      tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids,
    decode: (ids, options = {}) =>
      tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false }),
    applyChatTemplate: (messages, options = {}) => {
      if (!template)
        throw new Error(`${configFile}: no field "chat_template" (this tokenizer has no chat template)`);
      return template.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
        bos_token: tokenText(config.bos_token) ?? '',
        eos_token: tokenText(config.eos_token) ?? '',
      });
    },
  };
}
