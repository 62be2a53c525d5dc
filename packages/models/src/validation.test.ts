// Inputs and weights that used to give silent wrong results are errors (or, for over-long prompts,
// an explicit logged truncation the caller asked for).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, generateRandomCheckpoint, loadModel } from './checkpoint.js';
import { type LlamaConfigInput, parseConfig } from './config.js';
import { generate } from './generation/generate.js';
import { scoreContinuations } from './generation/score.js';
import type { LlamaForCausalLM } from './model.js';
import { writeSafetensors } from './safetensors.js';
import { randomCheckpointTensors } from './weights.js';

const CONFIG: LlamaConfigInput = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 64,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  max_position_embeddings: 12,
};

let scratch: string;
let model: LlamaForCausalLM;
beforeAll(async () => {
  await initBackend();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'models-validation-'));
  model = createModel(CONFIG, { seed: 1 });
});
afterAll(() => {
  model.dispose();
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('token ids outside the vocabulary', () => {
  it('config.json bos/eos/pad ids must be in [0, vocab_size)', () => {
    expect(() => parseConfig({ ...CONFIG, eos_token_id: 64 }, 'm/config.json')).toThrow(
      'm/config.json: field "eos_token_id" is 64; ids must be in [0, vocab_size 64)',
    );
    expect(() => parseConfig({ ...CONFIG, bos_token_id: -1 }, 'c')).toThrow(
      'c: field "bos_token_id" is -1; ids must be in [0, vocab_size 64)',
    );
    expect(() => parseConfig({ ...CONFIG, eos_token_id: [2, 900] }, 'c')).toThrow(
      'c: field "eos_token_id" is [2,900]; ids must be in [0, vocab_size 64)',
    );
    expect(() => parseConfig({ ...CONFIG, pad_token_id: 1000 }, 'c')).toThrow('field "pad_token_id" is 1000');
    expect(
      parseConfig({ ...CONFIG, bos_token_id: 0, eos_token_id: [1, 63], pad_token_id: null }).vocab_size,
    ).toBe(64);
  });

  it('generate and score reject eos/pad and input ids outside the vocabulary, naming value and size', async () => {
    await expect(generate(model, [[1, 2]], { eosTokenId: 64 })).rejects.toThrow(
      'generate: eosTokenId is 64; token ids must be integers in [0, vocab_size 64)',
    );
    await expect(generate(model, [[1, 2]], { eosTokenId: [], padTokenId: 99 })).rejects.toThrow(
      'generate: padTokenId is 99; token ids must be integers in [0, vocab_size 64)',
    );
    await expect(generate(model, [[1, 70]], { eosTokenId: [] })).rejects.toThrow(
      'generate: prompt 0 token 1 is 70; token ids must be integers in [0, vocab_size 64)',
    );
    await expect(scoreContinuations(model, [[1]], [[2, 64]])).rejects.toThrow(
      'scoreContinuations: continuation 0 token 1 is 64; token ids must be integers in [0, vocab_size 64)',
    );
    await expect(scoreContinuations(model, [[-3]], [[2]])).rejects.toThrow(
      'scoreContinuations (pair 0): prompt 0 token 0 is -3',
    );
  });
});

describe('prompts longer than max_position_embeddings (12 here)', () => {
  const long = Array.from({ length: 15 }, (_, i) => i + 1);

  it('are an error by default, in generate, score and forward', async () => {
    await expect(generate(model, [[1, 2], long], { eosTokenId: [] })).rejects.toThrow(
      'generate: prompt 1 has 15 tokens; max_position_embeddings leaves room for 12 (shorten it or pass truncatePrompts: true)',
    );
    await expect(scoreContinuations(model, [long.slice(0, 10)], [[1, 2, 3]])).rejects.toThrow(
      'scoreContinuations (pair 0): prompt 0 has 10 tokens; max_position_embeddings leaves room for 9',
    );
    await expect(scoreContinuations(model, [[1]], [long])).rejects.toThrow(
      'scoreContinuations: continuation 0 has 15 tokens; max_position_embeddings is 12',
    );
    expect(() => model.forward({ inputIds: [long] })).toThrow(
      'forward: 15 positions (0 cached + 15 new) exceed max_position_embeddings 12',
    );
  });

  it('are cut to their last tokens, with a message, when the caller opts in', async () => {
    const messages: string[] = [];
    const onTruncate = (m: string) => messages.push(m);
    const cut = await generate(model, [long], {
      eosTokenId: [],
      maxNewTokens: 5,
      truncatePrompts: true,
      onTruncate,
    });
    const direct = await generate(model, [long.slice(3)], { eosTokenId: [], maxNewTokens: 5 });
    expect(messages).toEqual([
      'generate: prompt 0 has 15 tokens; max_position_embeddings leaves room for 12: its first 3 tokens are dropped',
    ]);
    // a 12-token prompt fills the context: one new token, then the context is full
    expect(cut).toEqual(direct);
    expect(cut.tokens[0]).toHaveLength(1);
    expect(cut.finishReasons).toEqual(['length']);
    const scored = await scoreContinuations(model, [long], [[4, 5]], { truncatePrompts: true, onTruncate });
    const scoredDirect = await scoreContinuations(model, [long.slice(5)], [[4, 5]]);
    expect(scored.perToken).toEqual(scoredDirect.perToken);
    expect(messages[1]).toBe(
      'scoreContinuations (pair 0): prompt 0 has 15 tokens; max_position_embeddings leaves room for 10: its first 5 tokens are dropped',
    );
  });

  it('generation stops when the context is full instead of running past it', async () => {
    const result = await generate(model, [[1, 2, 3]], { eosTokenId: [], maxNewTokens: 50 });
    expect(result.tokens[0]).toHaveLength(12 - 3);
    expect(result.finishReasons).toEqual(['length']);
  });
});

describe('non-finite weights and outputs', () => {
  it('a checkpoint tensor holding NaN or Infinity is an error naming the tensor and file', () => {
    const parsed = parseConfig(CONFIG);
    for (const [bad, label] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      const dir = path.join(scratch, `bad-${label}`);
      generateRandomCheckpoint(parsed, dir, { seed: 2 });
      const tensors = randomCheckpointTensors(parsed, { seed: 2 });
      const victim = tensors.get('model.layers.0.self_attn.k_proj.weight')!;
      victim.data[7] = bad;
      victim.data[9] = bad;
      writeSafetensors(
        path.join(dir, 'model.safetensors'),
        [...tensors].map(([name, t]) => [name, { ...t, dtype: 'F32' as const }]),
      );
      expect(() => loadModel(dir)).toThrow(
        `${path.join(dir, 'model.safetensors')}: tensor "model.layers.0.self_attn.k_proj.weight" holds 2 non-finite value(s) (first: ${label} at flat index 7); the checkpoint is corrupt`,
      );
    }
  });

  it('NaN logits stop generate and score with the step and token, instead of null log-probs', async () => {
    const poisoned = createModel(CONFIG, { seed: 1 });
    try {
      const norm = poisoned.parameters().get('model.norm.weight') as tf.Variable;
      norm.assign(tf.fill(norm.shape, Number.NaN));
      const before = tf.memory().numTensors;
      await expect(generate(poisoned, [[1, 2]], { eosTokenId: [] })).rejects.toThrow(
        "generate: step 0: the logits of sequence 0 hold NaN (token 0); the model's weights or adapter produce non-finite values",
      );
      await expect(scoreContinuations(poisoned, [[1], [2]], [[3], [4, 5]])).rejects.toThrow(
        "scoreContinuations: the log-probability of token 0 of continuation 0 is NaN; the model's weights or adapter produce non-finite values",
      );
      expect(tf.memory().numTensors).toBe(before); // the errors leave no tensor behind
    } finally {
      poisoned.dispose();
    }
  });
});
