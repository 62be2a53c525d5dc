import { describe, expect, it } from 'vitest';
import type { EvalModel } from './model.js';
import { evaluatePerplexity } from './perplexity.js';
import { scriptedModel } from './testing/models.js';

describe('evaluatePerplexity', () => {
  it('is exp(-mean token log-prob) with tokenLogprobs', async () => {
    const logprobs = [Math.log(0.5), Math.log(0.25), Math.log(0.125)];
    const model: EvalModel = {
      score: async () => {
        throw new Error('not used');
      },
      generate: async () => {
        throw new Error('not used');
      },
      tokenLogprobs: async () => logprobs,
    };
    const r = await evaluatePerplexity(model, 'ab cd');
    // geometric mean of 1/p = (2·4·8)^(1/3) = 4
    expect(r.tokenPerplexity).toBeCloseTo(4, 12);
    expect(r.tokens).toBe(3);
    expect(r.words).toBe(2);
    expect(r.wordPerplexity).toBeCloseTo(Math.sqrt(64), 12);
    expect(r.bitsPerByte).toBeCloseTo(6 / 5, 12);
    expect(r.method).toBe('tokenLogprobs');
  });

  it('covers the text exactly once with sliding word windows through score', async () => {
    const windows: [string, string][] = [];
    // a uniform model over 32 symbols per character
    const model = scriptedModel((prompt, continuation) => {
      windows.push([prompt, continuation]);
      return -continuation.length * Math.log(32);
    });
    const text = 'one two  three\nfour five six seven';
    const r = await evaluatePerplexity(model, `${text}\n`, { windowWords: 3, contextWords: 2, batchSize: 2 });
    expect(windows.map((w) => w[1]).join('')).toBe(text);
    expect(windows).toEqual([
      ['', 'one two  three'],
      [' two  three', '\nfour five six'],
      [' five six', ' seven'],
    ]);
    expect(r.method).toBe('score');
    expect(r.words).toBe(7);
    expect(r.wordPerplexity).toBeCloseTo(Math.exp((text.length * Math.log(32)) / 7), 9);
    expect(r.bitsPerByte).toBeCloseTo((text.length * 5) / (text.length + 1), 12);
    await expect(evaluatePerplexity(model, '  \n')).rejects.toThrow('perplexity: the text is empty');
  });
});
