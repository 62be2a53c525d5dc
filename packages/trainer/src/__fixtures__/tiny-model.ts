/** Test fixture: a tiny random LLaMA (hidden 32, 2 layers) with the character-level tiny tokenizer. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRandomCheckpoint } from '@hydralora/models';

export function makeTinyModel(options: { seed?: number; dir?: string } = {}): string {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'trainer-tiny-'));
  generateRandomCheckpoint(
    {
      vocab_size: 100,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 2,
    },
    dir,
    { seed: options.seed ?? 1, std: 0.3 },
  );
  return dir;
}
