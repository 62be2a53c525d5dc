// Benchmark data that used to give silent wrong results (accuracy 0.0 from an empty file, mojibake
// from a Latin-1 CSV) is an error naming the file.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateBbh } from './bbh/evaluate.js';
import { loadBbh } from './bbh/load.js';
import { loadHumanEval } from './humaneval/load.js';
import { evaluateMmlu } from './mmlu/evaluate.js';
import { loadMmlu } from './mmlu/load.js';
import { DATA_DIR, FIXTURES } from './testing/data.js';
import { scriptedModel } from './testing/models.js';
import { decodeUtf8, firstInvalidUtf8Byte } from './util/utf8.js';

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'eval-suites-validation-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const model = scriptedModel(
  () => 0,
  () => '',
);

async function mmluFolder(name: string, test: Buffer | string, dev?: Buffer | string): Promise<string> {
  const dir = path.join(scratch, name);
  await mkdir(path.join(dir, 'test'), { recursive: true });
  await mkdir(path.join(dir, 'dev'), { recursive: true });
  await writeFile(path.join(dir, 'test', 'anatomy_test.csv'), test);
  if (dev !== undefined) await writeFile(path.join(dir, 'dev', 'anatomy_dev.csv'), dev);
  return dir;
}

describe('empty benchmark data is an error naming the file or folder', () => {
  it('MMLU: an empty test or dev CSV', async () => {
    const empty = await mmluFolder('mmlu-empty', '');
    await expect(loadMmlu(empty)).rejects.toThrow(
      `${path.join(empty, 'test', 'anatomy_test.csv')}: no MMLU questions (the file is empty)`,
    );
    const emptyDev = await mmluFolder('mmlu-empty-dev', 'Q?,a,b,c,d,A\n', '\n');
    await expect(loadMmlu(emptyDev)).rejects.toThrow(
      `${path.join(emptyDev, 'dev', 'anatomy_dev.csv')}: no MMLU questions (the file is empty)`,
    );
    await expect(evaluateMmlu(model, { subjects: [], dev: new Map(), test: new Map() })).rejects.toThrow(
      'evaluateMmlu: no questions to evaluate',
    );
  });

  it('BBH: a folder without task files, and no examples at all', async () => {
    const dir = path.join(scratch, 'bbh-empty');
    await mkdir(path.join(dir, 'cot-prompts'), { recursive: true });
    await expect(loadBbh(dir)).rejects.toThrow(`no BBH <task>.json files in ${dir}`);
    await expect(evaluateBbh(model, [])).rejects.toThrow('evaluateBbh: no examples to evaluate');
  });

  it('HumanEval: an empty problems file', async () => {
    const file = path.join(scratch, 'HumanEval.jsonl');
    await writeFile(file, '\n\n');
    await expect(loadHumanEval(file)).rejects.toThrow(`${file}: no HumanEval problems (the file is empty)`);
  });
});

describe('MMLU rejects CSVs that are not UTF-8', () => {
  it('names the file, byte and offset (Latin-1 "é" in a fixture question)', async () => {
    const csv = Buffer.concat([Buffer.from('Qu'), Buffer.from([0xe9]), Buffer.from('?,a,b,c,d,A\n')]);
    const dir = await mmluFolder('mmlu-latin1', csv);
    await expect(loadMmlu(dir)).rejects.toThrow(
      `${path.join(dir, 'test', 'anatomy_test.csv')}: not valid UTF-8 (byte 0xe9 at offset 2, line 1)`,
    );
  });

  it.skipIf(!DATA_DIR)('names the offset and line of one bad byte in the real anatomy_test.csv', async () => {
    const real = await readFile(path.join(DATA_DIR!, 'mmlu', 'test', 'anatomy_test.csv'));
    const at = real.indexOf(0x0a, 5000) + 1; // the start of some line past 5,000 bytes
    const line = real.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    const bad = Buffer.from(real);
    bad[at] = 0xff;
    const dir = await mmluFolder('mmlu-real-bad', bad);
    await expect(loadMmlu(dir)).rejects.toThrow(
      `anatomy_test.csv: not valid UTF-8 (byte 0xff at offset ${at}, line ${line})`,
    );
    // the untouched file loads: 135 questions
    const good = await mmluFolder('mmlu-real-good', real);
    expect((await loadMmlu(good)).test.get('anatomy')).toHaveLength(135);
  });
});

describe('firstInvalidUtf8Byte', () => {
  /**
   * Independent reference from TextDecoder: the first byte a fatal streaming decoder rejects (or
   * the end, for a truncated last sequence), then back to the end of the longest prefix that
   * decodes completely: where the broken sequence starts.
   */
  function reference(bytes: Uint8Array): number {
    const decodes = (n: number, stream: boolean) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream });
        return true;
      } catch {
        return false;
      }
    };
    if (decodes(bytes.length, false)) return -1;
    let rejected = 1;
    while (rejected <= bytes.length && decodes(rejected, true)) rejected++;
    let start = Math.min(rejected - 1, bytes.length);
    while (start > 0 && !decodes(start, false)) start--;
    return start;
  }

  it('agrees with TextDecoder on 20,000 random byte strings biased towards UTF-8 edge cases', () => {
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state >>> 8;
    };
    const interesting = [
      0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f,
      0xa0, 0x8f, 0x90,
    ];
    let invalid = 0;
    for (let trial = 0; trial < 20_000; trial++) {
      const bytes = Uint8Array.from({ length: 1 + (next() % 8) }, () =>
        next() % 2 ? (interesting[next() % interesting.length] as number) : next() % 256,
      );
      const expected = reference(bytes);
      expect(firstInvalidUtf8Byte(bytes), Buffer.from(bytes).toString('hex')).toBe(expected);
      if (expected !== -1) invalid++;
    }
    expect(invalid).toBeGreaterThan(5000);
  });

  it('decodes valid text and names the line of a bad byte', () => {
    expect(decodeUtf8(Buffer.from('héllo\n€ 𝄞'), 'f')).toBe('héllo\n€ 𝄞');
    expect(() => decodeUtf8(Buffer.from([0x61, 0x0a, 0x62, 0x0a, 0xc3, 0x28]), 'f.csv')).toThrow(
      'f.csv: not valid UTF-8 (byte 0xc3 at offset 4, line 3)',
    );
  });
});

// keep the fixture folder honest: it is UTF-8 and loads
it('the MMLU fixture still loads', async () => {
  expect((await loadMmlu(path.join(FIXTURES, 'mmlu'))).subjects.length).toBeGreaterThan(0);
});
