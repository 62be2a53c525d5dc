import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../checkpoint.js';
import type { LlamaForCausalLM } from '../model.js';
import { generate } from './generate.js';
import { GreedySampler, softmax, TemperatureProcessor, TopKProcessor, TopPProcessor } from './processors.js';
import { scoreContinuations } from './score.js';
import { StopStringsCriterion, truncateAtStop } from './stopping.js';

const FIXTURES = fileURLToPath(new URL('../__fixtures__/', import.meta.url));
let model: LlamaForCausalLM;

beforeAll(async () => {
  await initBackend();
  model = loadModel(path.join(FIXTURES, 'qwen2-bias'));
});
afterAll(() => model.dispose());

/** Greedy continuation computed the slow way: full forward, argmax of the last row, repeat. */
function referenceGreedy(prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const logits = model.forward({ inputIds: [seq] });
    const rows = logits.arraySync()[0] as number[][];
    logits.dispose();
    seq.push(new GreedySampler().choose(Float32Array.from(rows[rows.length - 1] as number[])));
  }
  return seq.slice(prompt.length);
}

describe('generate', () => {
  it('greedy with KV cache equals greedy without it (and the reference loop), token for token', async () => {
    const before = tf.memory().numTensors;
    const prompt = [5, 17, 42, 99, 3];
    const cached = await generate(model, [prompt], { maxNewTokens: 12, eosTokenId: [] });
    const uncached = await generate(model, [prompt], { maxNewTokens: 12, eosTokenId: [], useCache: false });
    expect(cached.tokens[0]).toHaveLength(12);
    expect(cached.tokens).toEqual(uncached.tokens);
    expect(cached.tokens[0]).toEqual(referenceGreedy(prompt, 12));
    expect(cached.finishReasons).toEqual(['length']);
    expect(new Set(cached.tokens[0]).size).toBeGreaterThan(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a left-padded batch generates what each prompt generates alone', async () => {
    const prompts = [
      [7, 8, 9, 10, 11, 12],
      [40, 41],
      [90, 3, 77],
    ];
    const batched = await generate(model, prompts, { maxNewTokens: 8, eosTokenId: [] });
    for (let i = 0; i < prompts.length; i++) {
      const alone = await generate(model, [prompts[i] as number[]], { maxNewTokens: 8, eosTokenId: [] });
      expect(batched.tokens[i]).toEqual(alone.tokens[0]);
    }
  });

  it('stops a sequence at its eos token and keeps the others going', async () => {
    const free = await generate(model, [[5, 17, 42]], { maxNewTokens: 6, eosTokenId: [] });
    const eos = free.tokens[0]?.[2] as number;
    const stopped = await generate(model, [[5, 17, 42]], { maxNewTokens: 6, eosTokenId: eos });
    const firstEos = (free.tokens[0] as number[]).indexOf(eos);
    expect(stopped.tokens[0]).toEqual(free.tokens[0]?.slice(0, firstEos + 1));
    expect(stopped.finishReasons).toEqual(['eos']);
  });

  it('sampling is deterministic per seed and differs across seeds', async () => {
    const opts = { maxNewTokens: 10, eosTokenId: [], temperature: 2, topK: 50, topP: 0.95 };
    const a = await generate(model, [[1, 2, 3]], { ...opts, seed: 1 });
    const b = await generate(model, [[1, 2, 3]], { ...opts, seed: 1 });
    const c = await generate(model, [[1, 2, 3]], { ...opts, seed: 2 });
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens).not.toEqual(c.tokens);
  });

  it('stop strings end generation', async () => {
    const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(65 + (i % 26))).join('');
    const free = await generate(model, [[5, 17, 42]], { maxNewTokens: 8, eosTokenId: [] });
    const text = decode(free.tokens[0] as number[]);
    const stop = text.slice(3, 5);
    const res = await generate(model, [[5, 17, 42]], {
      maxNewTokens: 8,
      eosTokenId: [],
      stopStrings: [stop],
      decode,
    });
    expect(res.finishReasons).toEqual(['stop']);
    expect(
      decode(res.tokens[0] as number[]).endsWith(stop) || decode(res.tokens[0] as number[]).includes(stop),
    ).toBe(true);
    expect((res.tokens[0] as number[]).length).toBeLessThanOrEqual(5);
  });
});

describe('processors', () => {
  it('temperature divides, top-k keeps the k largest, top-p keeps the nucleus', () => {
    const t = Float32Array.from([2, 4, 6]);
    new TemperatureProcessor(2).process(t);
    expect(Array.from(t)).toEqual([1, 2, 3]);
    const k = Float32Array.from([0.1, 3, -1, 2, 5]);
    new TopKProcessor(2).process(k);
    expect(Array.from(k)).toEqual([-Infinity, 3, -Infinity, -Infinity, 5]);
    // probabilities 0.5, 0.3, 0.2: p = 0.7 keeps the first two (0.8 ≥ 0.7)
    const p = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.2)]);
    new TopPProcessor(0.7).process(p);
    expect(p[2]).toBe(-Infinity);
    expect(Number.isFinite(p[1])).toBe(true);
    const s = softmax(Float32Array.from([0, Math.log(3)]));
    expect(s[1]).toBeCloseTo(0.75, 7);
    expect(() => new TopPProcessor(0)).toThrow(/top-p/);
  });

  it('stop strings are found in decoded text and cut from it', () => {
    const c = new StopStringsCriterion(['##'], (ids) => ids.map((i) => (i === 1 ? '#' : 'a')).join(''));
    expect(c.check([0, 1])).toBeUndefined();
    expect(c.check([0, 1, 1])).toBe('stop');
    expect(truncateAtStop('abc##def', ['##', 'zz'])).toBe('abc');
  });
});

describe('scoreContinuations', () => {
  it('equals the summed log-softmax of the forward logits, batched or not', async () => {
    const prompts = [[5, 6, 7], [9], [20, 21, 22, 23, 24]];
    const conts = [[8, 9], [10, 11, 12, 13], [25]];
    const before = tf.memory().numTensors;
    const batched = await scoreContinuations(model, prompts, conts, { batchSize: 3 });
    const single = await scoreContinuations(model, prompts, conts, { batchSize: 1 });
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < prompts.length; i++) {
      const seq = [...(prompts[i] as number[]), ...(conts[i] as number[])];
      const logits = model.forward({ inputIds: [seq] });
      const rows = logits.arraySync()[0] as number[][];
      logits.dispose();
      let total = 0;
      (conts[i] as number[]).forEach((token, j) => {
        const row = rows[(prompts[i] as number[]).length + j - 1] as number[];
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
        const lp = (row[token] as number) - lse;
        expect(batched.perToken[i]?.[j]).toBeCloseTo(lp, 4);
        total += lp;
      });
      expect(batched.total[i]).toBeCloseTo(total, 4);
      expect(single.total[i]).toBeCloseTo(total, 4);
    }
  });

  it('rejects mismatched inputs', async () => {
    await expect(scoreContinuations(model, [[1]], [])).rejects.toThrow(/1 prompts but 0/);
    await expect(scoreContinuations(model, [[]], [[1]])).rejects.toThrow(/prompt 0 is empty/);
  });
});
