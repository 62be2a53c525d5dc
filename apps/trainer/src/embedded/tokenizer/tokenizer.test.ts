import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { formatInstructionPrompt, instructionText } from '@hydralora/common';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPretrainCorpus } from '../pretrain-corpus.js';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { BYTE_TO_UNICODE, fromByteLevel, toByteLevel } from './byte-level.js';
import { CHAT_TEMPLATE, writeTokenizer } from './hf-format.js';
import { trainBpe } from './train-bpe.js';

describe('byte-level alphabet', () => {
  it('is GPT-2 mapping: 256 distinct printable characters, space = Ġ, newline = Ċ', () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect(BYTE_TO_UNICODE[32]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[10]).toBe('Ċ');
    expect(BYTE_TO_UNICODE[65]).toBe('A');
    const text = 'naïve café — 東京 🐋\t\n';
    expect(fromByteLevel(toByteLevel(text))).toBe(text);
  });
});

describe('trainBpe', () => {
  it('reproduces the first merges of the textbook example "aaabdaaabac"', () => {
    // Gage's BPE example: "aa" is most frequent (4), then "ab" (2, tied with "aa a"; older tokens first)
    const model = trainBpe(['aaabdaaabac'], { vocabSize: 262, minFrequency: 1 });
    expect(model.merges).toEqual([
      ['a', 'a'],
      ['a', 'b'],
    ]);
    expect(model.vocab.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<pad>']);
    expect(model.vocab.slice(-2)).toEqual(['aa', 'ab']);
    expect(new BpeTokenizer(model).encode('aaab').map((id) => model.vocab[id])).toEqual(['aa', 'ab']);
  });

  it('stops early when no pair reaches minFrequency, and validates options', () => {
    expect(trainBpe(['abab'], { vocabSize: 300, minFrequency: 3 }).merges).toEqual([]);
    expect(() => trainBpe(['x'], { vocabSize: 10 })).toThrow(/vocabSize/);
    expect(() => trainBpe(['x'], { vocabSize: 300, extra: 1 } as never)).toThrow(/trainBpe/);
  });
});

describe('a tokenizer trained on the English corpus', () => {
  const corpus = buildPretrainCorpus({ seed: 0 });
  // a third of the training documents keeps the test quick; the bench trains on all of them
  const model = trainBpe(
    corpus.train.filter((_, i) => i % 3 === 0),
    { vocabSize: 1024 },
  );
  const ours = new BpeTokenizer(model);
  const dir = mkdtempSync(join(tmpdir(), 'hydralora-tok-'));
  writeTokenizer(dir, model);
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  const hf = new Tokenizer(json, config);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const samples = [
    ...corpus.heldOut.slice(0, 8),
    "  Leading spaces, tabs\tand\n\nnewlines; don't we'll I'm 1961's 3.14 — naïve 東京 🐋 <pad> trailing   ",
    'Call me Ishmael.',
  ];

  it('has the requested size and the HF layout', () => {
    expect(model.vocab).toHaveLength(1024);
    expect(new Set(model.vocab).size).toBe(1024);
    expect(model.merges).toHaveLength(1024 - 260);
    expect(readdirSync(dir).sort()).toEqual([
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer.type).toBe('ByteLevel');
    expect(json.decoder.type).toBe('ByteLevel');
    expect(config.bos_token).toBe('<s>');
    expect(config.eos_token).toBe('</s>');
    expect(config.pad_token).toBe('<pad>');
    expect(hf.token_to_id('<s>')).toBe(1);
    expect(hf.get_vocab(true).size).toBe(1024);
  });

  it('encodes exactly like @huggingface/tokenizers (an independent implementation)', () => {
    for (const text of samples.slice(0, 8)) {
      expect(ours.encode(text)).toEqual(hf.encode(text, { add_special_tokens: false }).ids);
    }
    expect(hf.encode('Call me Ishmael.').ids).toEqual(ours.encode('Call me Ishmael.', { addBos: true }));
  });

  it('round-trips held-out text through both implementations', () => {
    for (const text of samples) {
      expect(ours.decode(ours.encode(text))).toBe(text);
      const ids = hf.encode(text, { add_special_tokens: false }).ids;
      expect(hf.decode(ids)).toBe(text);
    }
    expect(ours.decode([ours.bosId, ...ours.encode('Hi'), ours.eosId])).toBe('Hi');
    expect(ours.decode([ours.bosId, ...ours.encode('Hi')], { keepSpecial: true })).toBe('<s>Hi');
  });

  it('compresses held-out English well beyond bytes (1 byte/token) at 1024 tokens', () => {
    // measured 2.6 bytes/token here (3.5 at the default 4096 on all the training text)
    const text = corpus.heldOut.join('\n');
    expect(Buffer.byteLength(text) / ours.encode(text).length).toBeGreaterThan(2.4);
  });

  it('has a chat template that renders the Alpaca prompt format', () => {
    const template = new Template(config.chat_template);
    const example = { instruction: 'Is this word positive or negative?', input: 'happy' };
    const vars = { bos_token: '<s>', eos_token: '</s>' };
    const user = { role: 'user', content: instructionText(example) };
    const prompt = formatInstructionPrompt({ instruction: instructionText(example) });
    expect(prompt).toBe('### Instruction:\nIs this word positive or negative?\n\nhappy\n\n### Response:\n');
    expect(template.render({ ...vars, messages: [user], add_generation_prompt: true })).toBe(`<s>${prompt}`);
    const turn = [user, { role: 'assistant', content: 'positive' }];
    expect(template.render({ ...vars, messages: turn, add_generation_prompt: false })).toBe(
      `<s>${prompt}positive</s>`,
    );
    expect(config.chat_template).toBe(CHAT_TEMPLATE);
  });
});
