import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCorpus, parseCorpus } from './corpus.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('corpus parsing', () => {
  it('reads JSON arrays, JSONL and text lines, joining the chosen fields with a space', () => {
    const rows = [
      { instruction: 'Add', input: '1 and 2', output: '3' },
      { instruction: 'Name', input: '', output: 'x' },
    ];
    expect(parseCorpus(bytes(JSON.stringify(rows)), 'a.json')).toEqual(['Add 1 and 2 3', 'Name  x']);
    expect(
      parseCorpus(bytes(rows.map((r) => JSON.stringify(r)).join('\n')), 'a.jsonl', {
        fields: ['instruction'],
      }),
    ).toEqual(['Add', 'Name']);
    expect(parseCorpus(bytes('\uFEFFfirst line\r\n\n  \nsecond\n'), 'a.txt')).toEqual([
      'first line',
      'second',
    ]);
  });

  it('names the row of a missing field and the line of malformed JSONL', () => {
    const json = JSON.stringify([{ instruction: 'a' }, { input: 'b' }]);
    expect(() => parseCorpus(bytes(json), 'd.json', { fields: ['instruction'] })).toThrow(
      'd.json: row 1: missing field "instruction"',
    );
    const jsonl = '{"instruction":"a"}\n\n{"instruction": oops}\n';
    expect(() => parseCorpus(bytes(jsonl), 'd.jsonl', { fields: ['instruction'] })).toThrow(
      /d\.jsonl: line 3 is not valid JSON/,
    );
    expect(() =>
      parseCorpus(bytes('[{"instruction": {"x": 1}}]'), 'd.json', { fields: ['instruction'] }),
    ).toThrow(/row 0: field "instruction" is \{"x":1\}/);
  });

  it('rejects invalid UTF-8 with its offset and line, empty corpora and unknown formats', () => {
    const bad = new Uint8Array([...bytes('ok\nfine\n'), 0xc3, 0x28, ...bytes('\n')]);
    expect(() => parseCorpus(bad, 'bad.txt')).toThrow(
      'bad.txt: not valid UTF-8 (bad byte near offset 9, line 3)',
    );
    expect(() => parseCorpus(bytes('\n \n'), 'e.txt')).toThrow(/e\.txt: the corpus is empty/);
    expect(() => parseCorpus(bytes('[]'), 'e.json')).toThrow(/empty/);
    expect(() => parseCorpus(bytes('{}'), 'o.json')).toThrow(/expected a JSON array/);
    expect(() => parseCorpus(bytes('x'), 'data.csv')).toThrow(/unknown extension "\.csv"/);
  });

  it('loads a file and reports an unreadable one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corpus-'));
    writeFileSync(join(dir, 'c.txt'), 'alpha beta\ngamma\n');
    await expect(loadCorpus(join(dir, 'c.txt'))).resolves.toEqual(['alpha beta', 'gamma']);
    await expect(loadCorpus(join(dir, 'missing.txt'))).rejects.toThrow(
      /missing\.txt: cannot read \(ENOENT\)/,
    );
  });
});
