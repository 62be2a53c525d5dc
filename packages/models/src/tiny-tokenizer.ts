/**
 * A tiny character-level BPE tokenizer in Hugging Face's `tokenizer.json` format, written next
 * to generated random checkpoints so that the text-level APIs (CLI, chat template) work on them.
 * Ids: 0 `<unk>`, 1 `<s>`, 2 `</s>`, then printable ASCII and newline, then two merges.
 */
import * as path from 'node:path';
import { writeFileAtomicSync as writeFileAtomic } from '@hydralora/common';

const SPECIALS = ['<unk>', '<s>', '</s>'] as const;

/** A simple chat template: `role: content` lines, then `assistant: ` when asked. */
export const TINY_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}";

/** tokenizer.json and tokenizer_config.json objects for a vocabulary of at most `vocabSize`. */
export function tinyTokenizerFiles(vocabSize: number): { tokenizer: object; config: object } {
  const pieces: string[] = [...SPECIALS];
  for (let c = 32; c < 127; c++) pieces.push(String.fromCharCode(c));
  pieces.push('\n', 'he', 'll');
  const kept = pieces.slice(0, Math.max(vocabSize, SPECIALS.length));
  const vocab: Record<string, number> = {};
  kept.forEach((p, i) => {
    vocab[p] = i;
  });
  const merges = ['h e', 'l l'].filter((m) => m.replace(' ', '') in vocab);
  return {
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: SPECIALS.map((content, id) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: '<unk>',
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        vocab,
        merges,
      },
    },
    config: {
      bos_token: '<s>',
      eos_token: '</s>',
      unk_token: '<unk>',
      pad_token: '</s>',
      add_bos_token: false,
      model_max_length: 2048,
      chat_template: TINY_CHAT_TEMPLATE,
      tokenizer_class: 'PreTrainedTokenizerFast',
    },
  };
}

/** Write the tiny tokenizer's two files into `dir` (atomically). */
export function writeTinyTokenizer(dir: string, vocabSize: number): void {
  const { tokenizer, config } = tinyTokenizerFiles(vocabSize);
  writeFileAtomic(path.join(dir, 'tokenizer.json'), `${JSON.stringify(tokenizer, null, 2)}\n`);
  writeFileAtomic(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
}
