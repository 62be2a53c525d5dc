import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile, readJsonFileSync } from './json.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'common-json-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('readJsonFile', () => {
  it('reads and validates', async () => {
    const file = write('ok.json', '\ufeff{"lr": 0.001, "steps": 3}');
    const schema = z.object({ lr: z.number(), steps: z.number().int() });
    expect(await readJsonFile(file, schema)).toEqual({ lr: 0.001, steps: 3 });
    expect(readJsonFileSync(file)).toEqual({ lr: 0.001, steps: 3 });
  });
  it('names a missing file', async () => {
    const file = join(dir, 'nope.json');
    await expect(readJsonFile(file)).rejects.toThrow(`${file}: file not found (ENOENT)`);
    expect(() => readJsonFileSync(file)).toThrow(`${file}: file not found (ENOENT)`);
  });
  it('gives the line and column of a syntax error', async () => {
    const file = write('bad.json', '{\n  "a": 1,\n  "b": 2\n  "c": 3\n}\n');
    await expect(readJsonFile(file)).rejects.toThrow(
      new RegExp(`^${file}: invalid JSON at line 4 column 3: `),
    );
    const truncated = write('cut.json', '{"a": [1, 2');
    expect(() => readJsonFileSync(truncated)).toThrow(
      new RegExp(`^${truncated}: invalid JSON at line 1 column 12: `),
    );
  });
  it('names the file, field and value of a schema failure', async () => {
    const file = write('schema.json', '{"lr": "fast", "steps": 3}');
    await expect(readJsonFile(file, z.object({ lr: z.number(), steps: z.number() }))).rejects.toThrow(
      `${file}: field lr: Invalid input: expected number, received string (got "fast")`,
    );
  });
});
