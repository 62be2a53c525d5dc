import { initBackend } from '@hydralora/gpu-backend';
import { loadPretrained, type Pretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import { embedTexts } from './embed.js';

let base: Pretrained;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  base = await loadPretrained(makeTinyModel({ seed: 3 }));
});

const texts = ['hello there', 'a much longer text than the first one, with padding', 'x', 'hello there'];

describe('embedTexts', () => {
  it('is the LM head input: logits = hidden · embed_tokensᵀ (tied embeddings)', () => {
    const ids = [base.tokenizer.encode('abc de', { addSpecialTokens: false })];
    const [hidden, logits, reference] = tf.tidy(() => {
      const h = base.model.hiddenStates({ inputIds: ids });
      const embed = base.model.embedTokens;
      return [h, base.model.forward({ inputIds: ids }), tf.matMul(tf.squeeze(h, [0]), embed, false, true)];
    });
    expect(hidden.shape).toEqual([1, ids[0]!.length, 32]);
    const l = logits.dataSync();
    const r = reference.dataSync();
    expect(r.length).toBe(l.length);
    for (let i = 0; i < l.length; i++) expect(r[i]).toBeCloseTo(l[i]!, 4);
    tf.dispose([hidden, logits, reference]);
  });

  it('is the mask-aware mean of each text alone, in any batch, and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const batched = embedTexts(base, texts, { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(batched).toHaveLength(4);
    for (const [i, text] of texts.entries()) {
      // reference: one text, no padding, mean over its tokens computed here
      const ids = [base.tokenizer.encode(text, { addSpecialTokens: false })];
      const h = base.model.hiddenStates({ inputIds: ids });
      const values = h.dataSync();
      h.dispose();
      const [, seq, dims] = h.shape;
      for (let j = 0; j < dims; j++) {
        let sum = 0;
        for (let t = 0; t < seq; t++) sum += values[t * dims + j]!;
        expect(batched[i]![j]).toBeCloseTo(sum / seq, 4);
      }
    }
    for (const [j, x] of batched[0]!.entries()) expect(batched[3]![j]).toBeCloseTo(x, 5);
    // one text per batch gives the same vectors
    const single = embedTexts(base, texts, { batchSize: 1 });
    for (const [i, v] of single.entries())
      for (const [j, x] of v.entries()) expect(batched[i]![j]).toBeCloseTo(x, 4);
  });

  it('truncates to maxLength and rejects bad options naming them', () => {
    const long = 'abcdefghij'.repeat(5);
    const [cut] = embedTexts(base, [long], { maxLength: 4 });
    const [prefix] = embedTexts(base, [long.slice(0, 4)]);
    expect(base.tokenizer.encode(long.slice(0, 4), { addSpecialTokens: false })).toHaveLength(4);
    for (const [j, x] of cut!.entries()) expect(prefix![j]).toBeCloseTo(x, 5);
    expect(() => embedTexts(base, texts, { batchSize: 0 })).toThrow(
      /batchSize is 0; expected an integer >= 1/,
    );
    expect(() => embedTexts(base, texts, { maxLength: 1e6 })).toThrow(/maxLength is 1000000/);
    expect(() => embedTexts(base, [''])).toThrow(/texts\[0\] \(""\) has no tokens/);
  });
});
