import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPretrainCorpus } from './embedded/index.js';
import { chunkDocuments, pretrain } from './pretrain.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('pretrain', () => {
  it('trains a tokenizer and a model on the chosen sources and records perplexity and bits per byte', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'pretrain-'));
    const before = tf.memory().numTensors;
    const r = await pretrain({
      out,
      seed: 0,
      sources: ['moby-dick'],
      vocabSize: 300,
      hiddenSize: 16,
      layers: 1,
      heads: 2,
      kvHeads: 1,
      intermediateSize: 32,
      seqLength: 32,
      batchSize: 2,
      steps: 3,
      lr: 1e-3,
      warmupSteps: 1,
      weightDecay: 0,
      clipNorm: 1,
      checkpointEvery: 0,
    });
    expect(tf.memory().numTensors).toBe(before);
    const record = JSON.parse(readFileSync(path.join(out, 'PRETRAIN.json'), 'utf8'));
    expect(record.options.sources).toEqual(['moby-dick']);
    expect(record.stepsCompleted).toBe(3);
    expect(record.heldOutPerplexity).toBeCloseTo(Math.exp(record.heldOutLoss), 10);
    // bits per byte from an independent decoder: @huggingface/tokenizers on the written tokenizer.json
    const hf = new Tokenizer(
      JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8')),
      JSON.parse(readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')),
    );
    const held = buildPretrainCorpus({ seed: 0, sources: ['moby-dick'] }).heldOut;
    const windows = chunkDocuments(
      held.map((d) => hf.encode(d, { add_special_tokens: false }).ids),
      2,
      32,
    ).slice(0, 256);
    const bytes = windows.reduce(
      (s, w) => s + Buffer.byteLength(hf.decode(w.inputIds.slice(1), { skip_special_tokens: true })),
      0,
    );
    expect(r.heldOutTokens).toBe(windows.length * 31);
    expect(r.heldOutBitsPerByte).toBeCloseTo((r.heldOutLoss * r.heldOutTokens) / Math.LN2 / bytes, 10);
    // an untrained byte-level model pays about log2(vocab) bits per token, a few bytes per token
    expect(r.heldOutBitsPerByte).toBeGreaterThan(1);
    expect(r.heldOutBitsPerByte).toBeLessThan(Math.log2(300));
  }, 120_000);
});
