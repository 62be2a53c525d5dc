/**
 * The prompt-learning methods of @hydralora/core-adapters through the model's virtual-token hook,
 * against the float64 PyTorch reference of scripts/make_prompt_fixtures.py (HF + PEFT semantics on
 * the llama-untied fixture: grouped-query attention, 4 query / 2 key-value heads): PEFT files
 * loaded as written by the reference, logits with and without padding, greedy generation with
 * and without the KV cache; then the virtual-token conformance suite on a random model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, injectAdapters, loadAdapter } from '@hydralora/core-adapters';
import { describeVirtualTokenConformance } from '@hydralora/core-adapters/testing';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, loadModel } from './checkpoint.js';
import { generate } from './generation/generate.js';
import { KVCache } from './kv-cache.js';
import type { LlamaForCausalLM } from './model.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
const DIR = path.join(FIXTURES, 'prompt-learning');
const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as {
  input_ids: number[][];
  attention_mask: number[][];
  prompts: number[][];
  num_virtual_tokens: number;
  cases: Record<string, { greedy: number[][] }>;
};
const arrays = decodeSafetensors(fs.readFileSync(path.join(DIR, 'expected.safetensors')), 'expected').tensors;

/**
 * Bound on max |Δlogit| against the float64 reference: the decoder alone measures 1e-6 – 9e-6
 * (model.test.ts); the virtual tokens add one concatenation, so the same 2e-5 holds.
 */
const LOGIT_TOLERANCE = 2e-5;

/** Max |a − b| over the rows whose mask is 1 ([B, T, V] flat, mask [B, T]). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, vocab: number, mask?: number[][]): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const row = Math.floor(i / vocab);
    const t = row % (mask?.[0]?.length ?? 1);
    const bi = Math.floor(row / (mask?.[0]?.length ?? 1));
    if (mask && mask[bi]?.[t] === 0) continue;
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return max;
}

beforeAll(async () => {
  await initBackend();
});

const CASES = ['prompt-tuning', 'prefix-tuning', 'prefix-projection', 'p-tuning-mlp', 'p-tuning-lstm'];

describe.each(CASES)('%s: PEFT files from the PyTorch reference', (name) => {
  let model: LlamaForCausalLM;
  beforeAll(async () => {
    model = loadModel(path.join(FIXTURES, 'llama-untied'));
    const warnings: string[] = [];
    await loadAdapter(model, path.join(DIR, name), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });
  afterAll(() => model.dispose());

  it(`logits, unpadded and left-padded: max |Δ| ≤ ${LOGIT_TOLERANCE}`, () => {
    const vocab = model.config.vocab_size;
    const before = tf.memory().numTensors;
    const full = model.forward({ inputIds: expected.input_ids });
    expect(full.shape).toEqual([2, 5, vocab]);
    const padded = model.forward({ inputIds: expected.input_ids, attentionMask: expected.attention_mask });
    const dFull = maxDiff(full.dataSync(), arrays[`${name}.logits`]!.data, vocab);
    const dPadded = maxDiff(
      padded.dataSync(),
      arrays[`${name}.padded`]!.data,
      vocab,
      expected.attention_mask,
    );
    tf.dispose([full, padded]);
    expect(tf.memory().numTensors).toBe(before);
    console.log(
      `${name}: max |Δlogit| unpadded ${dFull.toExponential(2)}, padded ${dPadded.toExponential(2)}`,
    );
    expect(dFull).toBeLessThan(LOGIT_TOLERANCE);
    expect(dPadded).toBeLessThan(LOGIT_TOLERANCE);
    // and the virtual tokens matter: the base model's logits are far from these
    expect(maxDiff(arrays[`${name}.logits`]!.data, arrays['base.logits']!.data, vocab)).toBeGreaterThan(0.1);
  });

  it('greedy generation (batched, left-padded) equals the reference, with and without the KV cache', async () => {
    const before = tf.memory().numTensors;
    const cached = await generate(model, expected.prompts, { maxNewTokens: 6, greedy: true, eosTokenId: [] });
    const uncached = await generate(model, expected.prompts, {
      maxNewTokens: 6,
      greedy: true,
      eosTokenId: [],
      useCache: false,
    });
    expect(cached.tokens).toEqual(expected.cases[name]!.greedy);
    expect(uncached.tokens).toEqual(expected.cases[name]!.greedy);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('incremental decoding with the KV cache gives the logits of the full pass', () => {
    const ids = expected.input_ids;
    const cache = new KVCache(model.config.num_hidden_layers);
    const head = model.forward({ inputIds: ids.map((r) => r.slice(0, 3)), kvCache: cache });
    expect(cache.virtualLength).toBe(expected.num_virtual_tokens);
    expect(cache.length).toBe(expected.num_virtual_tokens + 3);
    const step = model.forward({ inputIds: ids.map((r) => r.slice(3)), kvCache: cache });
    const full = model.forward({ inputIds: ids });
    const joined = tf.concat([head, step], 1);
    const d = maxDiff(joined.dataSync(), full.dataSync(), model.config.vocab_size);
    tf.dispose([head, step, full, joined]);
    cache.dispose();
    expect(d).toBeLessThan(1e-5);
  });

  it('a cache filled without the virtual tokens is refused', () => {
    const cache = new KVCache(model.config.num_hidden_layers);
    const other = loadModel(path.join(FIXTURES, 'llama-untied'));
    other.forward({ inputIds: [[5, 6]], kvCache: cache }).dispose();
    other.dispose();
    expect(() => model.forward({ inputIds: [[7]], kvCache: cache })).toThrow(
      /kvCache holds 0 virtual tokens but the model adds 3/,
    );
    cache.dispose();
  });
});

const TINY = {
  vocab_size: 40,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
  tie_word_embeddings: false,
};
const IDS = [
  [3, 9, 12, 5, 7],
  [0, 0, 4, 8, 30],
];
const MASK = [
  [1, 1, 1, 1, 1],
  [0, 0, 1, 1, 1],
];
const LABELS = [
  [-100, -100, 12, 5, 7],
  [-100, -100, -100, 8, 30],
];
const tiny = {
  createModel: () => createModel(TINY, { seed: 5 }),
  logits: (m: LlamaForCausalLM) => m.forward({ inputIds: IDS, attentionMask: MASK }),
  loss: (m: LlamaForCausalLM) => m.loss(IDS, LABELS, { attentionMask: MASK, training: true }),
};

describeVirtualTokenConformance({
  method: 'prompt-tuning',
  ...tiny,
  expected: { savedShape: [3, 16], tokenDim: 16, numAttentionHeads: 4, numLayers: 2 },
});

/** Cases whose encoder the reference ran: the config to build them in training form. */
const ENCODER_CASES: [string, Record<string, unknown>][] = [
  ['prefix-projection', { method: 'prefix-tuning', prefix_projection: true, encoder_hidden_size: 24 }],
  ['p-tuning-mlp', { method: 'p-tuning', encoder_hidden_size: 20 }],
  [
    'p-tuning-lstm',
    {
      method: 'p-tuning',
      encoder_reparameterization_type: 'LSTM',
      encoder_hidden_size: 12,
      encoder_num_layers: 2,
    },
  ],
];

describe.each(ENCODER_CASES)(
  '%s: the encoder (training form) against the PyTorch reference',
  (name, config) => {
    it('produces the reference tokens and logits; saving writes the produced table', async () => {
      const model = loadModel(path.join(FIXTURES, 'llama-untied'));
      const handle = injectAdapters(model, { ...config, num_virtual_tokens: 3 } as never);
      const module = handle.virtualTokens()!;
      const weights = decodeSafetensors(
        fs.readFileSync(path.join(DIR, name, 'encoder.safetensors')),
        'encoder.safetensors',
      ).tensors;
      const { 'embedding.weight': table, ...encoder } = weights;
      tf.tidy(() => module.table.assign(tf.tensor(table!.data, table!.shape)));
      module.promptEncoder!.assignTorch(encoder, 'encoder.safetensors');
      const produced = module.savedEmbeddings();
      const dProduced = maxDiff(produced.data, arrays[`${name}.produced`]!.data, 1);
      const vocab = model.config.vocab_size;
      const full = model.forward({ inputIds: expected.input_ids });
      const padded = model.forward({ inputIds: expected.input_ids, attentionMask: expected.attention_mask });
      const dFull = maxDiff(full.dataSync(), arrays[`${name}.logits`]!.data, vocab);
      const dPadded = maxDiff(
        padded.dataSync(),
        arrays[`${name}.padded`]!.data,
        vocab,
        expected.attention_mask,
      );
      tf.dispose([full, padded]);
      console.log(
        `${name} (encoder): max |Δ| produced ${dProduced.toExponential(2)}, logits ${dFull.toExponential(2)}, padded ${dPadded.toExponential(2)}`,
      );
      expect(dProduced).toBeLessThan(1e-5);
      expect(dFull).toBeLessThan(LOGIT_TOLERANCE);
      expect(dPadded).toBeLessThan(LOGIT_TOLERANCE);
      handle.dispose();
      model.dispose();
    });
  },
);

describeVirtualTokenConformance({
  method: 'prefix-tuning',
  ...tiny,
  // GQA: the prefixes have the 2 key/value heads of width 4, token_dim = 8
  expected: { savedShape: [3, 2 * 2 * 8], tokenDim: 8, numAttentionHeads: 2, numLayers: 2 },
});

describeVirtualTokenConformance({
  method: 'prefix-tuning',
  config: { prefix_projection: true, encoder_hidden_size: 10 },
  ...tiny,
  expected: { savedShape: [3, 2 * 2 * 8], tokenDim: 8, numAttentionHeads: 2, numLayers: 2 },
});

describeVirtualTokenConformance({
  method: 'p-tuning',
  config: { encoder_hidden_size: 6 },
  ...tiny,
  expected: { savedShape: [3, 16], tokenDim: 16, numAttentionHeads: 4, numLayers: 2 },
});

describeVirtualTokenConformance({
  method: 'p-tuning',
  config: {
    encoder_reparameterization_type: 'LSTM',
    encoder_hidden_size: 4,
    encoder_num_layers: 2,
    encoder_dropout: 0.1,
  },
  ...tiny,
  expected: { savedShape: [3, 16], tokenDim: 16, numAttentionHeads: 4, numLayers: 2 },
});

describe('prompt tuning: initialisation', () => {
  it('TEXT copies the embeddings of the text tokens, repeated to N (PEFT)', () => {
    const model = createModel(TINY, { seed: 5 });
    const handle = injectAdapters(
      model,
      {
        method: 'prompt-tuning',
        num_virtual_tokens: 5,
        prompt_tuning_init: 'TEXT',
        prompt_tuning_init_text: 'ab',
      },
      'text',
      { tokenize: () => [7, 11] },
    );
    const table = handle.virtualTokens()!.table.arraySync() as number[][];
    const embed = model.embedTokens.arraySync() as number[][];
    expect(table).toEqual([embed[7], embed[11], embed[7], embed[11], embed[7]]);
    handle.dispose();
    model.dispose();
  });

  it('TEXT without a tokenizer or a text is an error naming the field', () => {
    const model = createModel(TINY, { seed: 5 });
    expect(() =>
      injectAdapters(model, {
        method: 'prompt-tuning',
        prompt_tuning_init: 'TEXT',
        prompt_tuning_init_text: 'x',
      }),
    ).toThrow(/needs a tokenizer/);
    expect(() =>
      injectAdapters(model, { method: 'prompt-tuning', prompt_tuning_init: 'TEXT' }, 'b', {
        tokenize: () => [1],
      }),
    ).toThrow(/field 'prompt_tuning_init_text' is required/);
    model.dispose();
  });

  it('a wrong prompt_embeddings shape is an error naming the file and the tensor', async () => {
    const model = createModel(TINY, { seed: 5 });
    await expect(loadAdapter(model, path.join(DIR, 'prompt-tuning'))).rejects.toThrow(
      /adapter_model\.safetensors: tensor 'prompt_embeddings' is \[3,32\], expected \[3,16\]/,
    );
    model.dispose();
  });
});
