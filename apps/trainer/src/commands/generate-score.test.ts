import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import {
  generate,
  generateRandomCheckpoint,
  loadModel,
  loadTokenizer,
  scoreContinuations,
} from '@hydralora/models';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runGenerate } from './generate.js';
import { runScore } from './score.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-gen-score-'));
beforeAll(async () => {
  await initBackend();
  generateRandomCheckpoint(
    {
      vocab_size: 101,
      hidden_size: 32,
      intermediate_size: 48,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      eos_token_id: 2,
    },
    dir,
    { seed: 11, std: 0.5 },
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true }));

describe('hydralora score', () => {
  it('--json prints the tokens and log p(token_i | tokens_<i) for i ≥ 1, as the library scores them', async () => {
    const out = JSON.parse(await runScore({ model: dir, text: 'hello there', json: true })) as {
      tokens: number[];
      logprobs: number[];
    };
    const tokens = loadTokenizer(dir).encode('hello there');
    expect(out.tokens).toEqual(tokens);
    expect(out.logprobs).toHaveLength(tokens.length - 1);
    const model = loadModel(dir);
    const ref = await scoreContinuations(model, [tokens.slice(0, 1)], [tokens.slice(1)]);
    model.dispose();
    out.logprobs.forEach((lp, i) => {
      expect(lp).toBeLessThan(0);
      expect(lp).toBeCloseTo(ref.perToken[0]?.[i] as number, 5);
    });
  });
});

describe('hydralora generate', () => {
  it('--greedy --json returns the greedy tokens of the library', async () => {
    const out = JSON.parse(
      await runGenerate({ model: dir, prompt: 'hi', maxNewTokens: '5', greedy: true, json: true }),
    ) as {
      prompt_tokens: number[];
      tokens: number[];
    };
    const model = loadModel(dir);
    const ref = await generate(model, [out.prompt_tokens], { maxNewTokens: 5, eosTokenId: 2, padTokenId: 2 });
    model.dispose();
    expect(out.tokens).toEqual(ref.tokens[0]);
  });

  it('a prompt past max_position_embeddings is an error, or a logged truncation with --truncate-prompt', async () => {
    const short = path.join(dir, 'short-context');
    generateRandomCheckpoint(
      {
        vocab_size: 101,
        hidden_size: 32,
        intermediate_size: 48,
        num_hidden_layers: 1,
        num_attention_heads: 4,
        max_position_embeddings: 16,
        eos_token_id: 2,
      },
      short,
      { seed: 3 },
    );
    const prompt = 'abcdefghij'.repeat(3);
    const n = loadTokenizer(short).encode(prompt).length;
    expect(n).toBeGreaterThan(16);
    await expect(runGenerate({ model: short, prompt })).rejects.toThrow(
      `generate: prompt 0 has ${n} tokens; max_position_embeddings leaves room for 16 (shorten it or pass --truncate-prompt)`,
    );
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    let out: { tokens: number[]; finish_reason: string };
    try {
      out = JSON.parse(await runGenerate({ model: short, prompt, truncatePrompt: true, json: true }));
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual([
      `hydralora: warning: generate: prompt 0 has ${n} tokens; max_position_embeddings leaves room for 16: its first ${n - 16} tokens are dropped\n`,
    ]);
    // the context is full after one new token
    expect(out.tokens).toHaveLength(1);
    expect(out.finish_reason).toBe('length');
  });

  it('rejects bad flags naming the flag and the value', async () => {
    await expect(runGenerate({ model: dir, prompt: 'x', topK: 'abc' })).rejects.toThrow(
      /--top-k expects an integer, got 'abc'/,
    );
    await expect(runGenerate({ model: dir, prompt: 'x', temperature: '0' })).rejects.toThrow(
      /--temperature expects a number > 0, got '0'/,
    );
  });
});
