/** Test fixture: a tiny random LLaMA (hidden 32, 2 layers) with a BPE tokenizer fitted to the embedded corpus. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRandomCheckpoint } from '@hydralora/models';
import { buildInstructionCorpus, trainBpe, writeTokenizer } from '../embedded/index.js';

export interface TinyModelOptions {
  /** Text the tokenizer is trained on (default: the embedded corpus, 40 examples per component). */
  texts?: string[];
  vocabSize?: number;
  minFrequency?: number;
  /** Seed of the random weights. */
  seed?: number;
  /** Directory to write into (default: a new temporary one). */
  dir?: string;
}

export function makeTinyModel(options: TinyModelOptions = {}): string {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'tiny-model-'));
  const texts =
    options.texts ??
    buildInstructionCorpus({ seed: 0, perComponentTrain: 40, perComponentTest: 10 }).train.map(
      (e) => `${e.instruction} ${e.input} ${e.output}`,
    );
  const bpe = trainBpe(texts, {
    vocabSize: options.vocabSize ?? 400,
    ...(options.minFrequency !== undefined ? { minFrequency: options.minFrequency } : {}),
  });
  writeTokenizer(dir, bpe);
  generateRandomCheckpoint(
    {
      vocab_size: bpe.vocab.length,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 3,
    },
    dir,
    { seed: options.seed ?? 1, tokenizer: false, std: 0.3 },
  );
  return dir;
}
