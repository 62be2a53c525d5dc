import { join } from 'node:path';
import { writeFileAtomicSync as writeFileAtomic } from '@hydralora/common';
import type { BpeModel } from './train-bpe.js';

/**
 * The chat template of the embedded tokenizer (Jinja, as Hugging Face's `apply_chat_template`
 * runs it). A user turn is an instruction, an assistant turn its response:
 *
 * ```
 * <s>### Instruction:
 * {user content}
 *
 * ### Response:
 * {assistant content}</s>
 * ```
 *
 * A system message, when present, comes first followed by a blank line. With
 * `add_generation_prompt`, the template ends with `### Response:\n` for the model to continue.
 * @hydralora/common's `formatInstructionPrompt({ instruction: instructionText(example) })`
 * produces the same text without Jinja.
 */
export const CHAT_TEMPLATE =
  '{{ bos_token }}' +
  '{% for message in messages %}' +
  "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n" +
  "{% elif message['role'] == 'user' %}### Instruction:\n{{ message['content'] }}\n\n" +
  "{% elif message['role'] == 'assistant' %}### Response:\n{{ message['content'] }}{{ eos_token }}" +
  '{% if not loop.last %}\n\n{% endif %}' +
  '{% endif %}' +
  '{% endfor %}' +
  '{% if add_generation_prompt %}### Response:\n{% endif %}';

/** Options of the tokenizer files. */
export interface TokenizerFileOptions {
  /** Written as `model_max_length` in tokenizer_config.json (default 1024). */
  modelMaxLength?: number;
}

/** A Hugging Face `tokenizer.json` object for `model` (BPE, ByteLevel pre-tokenizer and decoder). */
export function toTokenizerJson(model: BpeModel): Record<string, unknown> {
  const { bos } = model.specialTokens;
  const bosId = model.vocab.indexOf(bos);
  const vocab: Record<string, number> = {};
  model.vocab.forEach((token, id) => {
    vocab[token] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialEntries(model).map(({ id, content }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [bosId], tokens: [bos] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: model.merges.map(([a, b]) => [a, b]),
    },
  };
}

/** A Hugging Face `tokenizer_config.json` object (special tokens, BOS added, chat template). */
export function toTokenizerConfig(
  model: BpeModel,
  options: TokenizerFileOptions = {},
): Record<string, unknown> {
  const added: Record<string, unknown> = {};
  for (const { id, content } of specialEntries(model)) {
    added[String(id)] = {
      content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: true,
    };
  }
  const { bos, eos, pad, unk } = model.specialTokens;
  return {
    add_bos_token: true,
    add_eos_token: false,
    added_tokens_decoder: added,
    bos_token: bos,
    eos_token: eos,
    pad_token: pad,
    unk_token: unk,
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 1024,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}

/**
 * Writes `tokenizer.json`, `tokenizer_config.json` and `special_tokens_map.json` into `dir`
 * (each atomically) and returns their paths.
 */
export function writeTokenizer(dir: string, model: BpeModel, options: TokenizerFileOptions = {}): string[] {
  const { bos, eos, pad, unk } = model.specialTokens;
  const files: [string, unknown][] = [
    ['tokenizer.json', toTokenizerJson(model)],
    ['tokenizer_config.json', toTokenizerConfig(model, options)],
    ['special_tokens_map.json', { bos_token: bos, eos_token: eos, pad_token: pad, unk_token: unk }],
  ];
  return files.map(([name, content]) => {
    const path = join(dir, name);
    writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`);
    return path;
  });
}

function specialEntries(model: BpeModel): { id: number; content: string }[] {
  const { unk, bos, eos, pad } = model.specialTokens;
  return [unk, bos, eos, pad].map((content) => {
    const id = model.vocab.indexOf(content);
    if (id < 0) throw new Error(`tokenizer: special token "${content}" is not in the vocab`);
    return { id, content };
  });
}
