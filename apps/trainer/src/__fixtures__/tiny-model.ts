/** Test fixture: a tiny random LLaMA (hidden 32, 2 layers) with a BPE tokenizer fitted to the embedded corpus. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRandomCheckpoint } from '@hydralora/models';
import { buildInstructionCorpus, trainBpe, writeTokenizer } from '../embedded/index.js';

export function makeTinyModel(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-model-'));
  const c = buildInstructionCorpus({ seed: 0, perComponentTrain: 40, perComponentTest: 10 });
  const bpe = trainBpe(
    c.train.map((e) => `${e.instruction} ${e.input} ${e.output}`),
    { vocabSize: 400 },
  );
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
    { seed: 1, tokenizer: false, std: 0.3 },
  );
  return dir;
}
