import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BatchStream,
  epochOrder,
  IGNORE_INDEX,
  readInstructionFile,
  type TextTokenizer,
  tokenizeExample,
} from './data.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hydra-data-'));

/** A character-level tokenizer: id = code point + 10; 1 = EOS, 0 = pad, 2 = BOS. */
const chars: TextTokenizer = {
  encode: (t) => [...t].map((c) => c.codePointAt(0)! + 10),
  decode: (ids) => String.fromCodePoint(...ids.map((i) => i - 10)),
  eosId: 1,
  padId: 0,
  bosId: 2,
};

describe('instruction data', () => {
  it('reads JSONL and JSON, with components', () => {
    const dir = tmp();
    const jsonl = path.join(dir, 'a.jsonl');
    writeFileSync(
      jsonl,
      '{"instruction":"Add","input":"1+1","output":"2","component":"math"}\n\n{"instruction":"Hi","output":"yo"}\n',
    );
    const recs = readInstructionFile(jsonl);
    expect(recs).toHaveLength(2);
    expect(recs[0]!.prompt).toBe('### Instruction:\nAdd\n\n### Input:\n1+1\n\n### Response:\n');
    expect(recs[0]!.component).toBe('math');
    expect(recs[1]!.prompt).toBe('### Instruction:\nHi\n\n### Response:\n');
    const json = path.join(dir, 'b.json');
    writeFileSync(json, JSON.stringify([{ instruction: 'x', input: '', output: 'y', task_type: 'qa' }]));
    expect(readInstructionFile(json)[0]!.component).toBe('qa');
  });

  it('names the file, line and field on bad input', () => {
    const dir = tmp();
    const bad = path.join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"instruction":"a","output":"b"}\n{"instruction":"a"}\n');
    expect(() => readInstructionFile(bad)).toThrow(/bad\.jsonl line 2: field output: /);
    writeFileSync(bad, '{"instruction":"a","output":"b"}\n{oops\n');
    expect(() => readInstructionFile(bad)).toThrow(/bad\.jsonl line 2: invalid JSON/);
    writeFileSync(bad, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(() => readInstructionFile(bad)).toThrow(/not valid UTF-8/);
    const chat = path.join(dir, 'chat.jsonl');
    writeFileSync(chat, '{"messages":[{"role":"user","content":"hi"},{"role":"user","content":"?"}]}\n');
    expect(() => readInstructionFile(chat)).toThrow(
      /chat\.jsonl line 1: the last message must be the assistant's/,
    );
  });

  it('renders chat records through the template and puts the loss on the target only', () => {
    const dir = tmp();
    const chat = path.join(dir, 'chat.jsonl');
    writeFileSync(
      chat,
      '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}\n',
    );
    const tokenizer = {
      ...chars,
      applyChatTemplate: (m: { content: string }[]) => `U:${m.map((x) => x.content).join('|')}\nA:`,
    };
    const [rec] = readInstructionFile(chat, { tokenizer });
    expect(rec!.prompt).toBe('U:hi\nA:');
    const ex = tokenizeExample(rec!, tokenizer, 64);
    expect(ex.inputIds[0]).toBe(2);
    const targets = ex.labels.filter((l) => l !== IGNORE_INDEX);
    expect(chars.decode(targets.slice(0, -1))).toBe('ok');
    expect(targets.at(-1)).toBe(1);
    expect(ex.labels.slice(0, 7).every((l) => l === IGNORE_INDEX)).toBe(true);
  });

  it('truncates the prompt from the left and keeps the target', () => {
    const ex = tokenizeExample({ prompt: 'abcdefghij', target: 'xy' }, chars, 6);
    expect(ex.inputIds).toHaveLength(6);
    expect(chars.decode(ex.inputIds.slice(0, 3))).toBe('hij');
    expect(ex.labels.slice(3)).toEqual([...chars.encode('xy'), 1]);
  });
});

describe('data order', () => {
  it('is a seeded permutation, different per epoch and seed', () => {
    const a = epochOrder(50, 1, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(epochOrder(50, 1, 0)).toEqual(a);
    expect(epochOrder(50, 1, 1)).not.toEqual(a);
    expect(epochOrder(50, 2, 0)).not.toEqual(a);
  });

  it('resumes at the same batch after seek', () => {
    const examples = Array.from({ length: 10 }, (_, i) => ({
      inputIds: [i + 3, 4],
      labels: [IGNORE_INDEX, 4],
    }));
    const s1 = new BatchStream(examples, 3, 7, 0);
    const seen = Array.from({ length: 6 }, () => s1.next().inputIds.map((r) => r[0]));
    const s2 = new BatchStream(examples, 3, 7, 0);
    s2.next();
    s2.next();
    const pos = { epoch: s2.epoch, cursor: s2.cursor };
    const s3 = new BatchStream(examples, 3, 7, 0);
    s3.seek(pos);
    expect(Array.from({ length: 4 }, () => s3.next().inputIds.map((r) => r[0]))).toEqual(seen.slice(2));
  });
});
