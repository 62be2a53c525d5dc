import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR } from '../testing/data.js';
import { findSuffix, scriptedModel } from '../testing/models.js';
import { buildGsm8kPrompt, evaluateGsm8k, loadGsm8k } from './evaluate.js';
import { GSM8K_COT_EXEMPLARS } from './exemplars.js';
import { extractGsm8kAnswer, goldGsm8kAnswer, normalizeNumber } from './extract.js';

describe('GSM8K exemplars (Wei et al. 2022)', () => {
  it('are the 8 published exemplars in the "Q: ... A: ... The answer is N." format', () => {
    expect(GSM8K_COT_EXEMPLARS).toHaveLength(8);
    expect(GSM8K_COT_EXEMPLARS[0]!.question).toMatch(/^There are 15 trees in the grove\./);
    expect(GSM8K_COT_EXEMPLARS.map((e) => extractGsm8kAnswer(e.answer))).toEqual([
      '6',
      '5',
      '39',
      '8',
      '9',
      '29',
      '33',
      '8',
    ]);
    for (const e of GSM8K_COT_EXEMPLARS) expect(e.answer).toMatch(/ The answer is \d+\.$/);
    const prompt = buildGsm8kPrompt('How many?');
    expect(prompt.match(/^Q: /gm)).toHaveLength(9);
    expect(
      prompt.startsWith(`Q: ${GSM8K_COT_EXEMPLARS[0]!.question}\nA: There are 15 trees originally.`),
    ).toBe(true);
    expect(prompt.endsWith('The answer is 8.\n\nQ: How many?\nA:')).toBe(true);
    expect(buildGsm8kPrompt('How many?', 0)).toBe('Q: How many?\nA:');
    expect(() => buildGsm8kPrompt('x', 9)).toThrow('GSM8K shots must be an integer in 0..8, got 9');
  });
});

describe('GSM8K answer extraction', () => {
  it.each([
    ['So 3 + 4 = 7. The answer is 7.', '7'],
    ['The answer is $1,250.', '1250'],
    ['She lost 5. The answer is -5. Then 9 more', '-5'],
    ['the answer is +12.50', '12.5'],
    ['No marker: 3 apples and 14 pears', '14'],
    ['It costs 18.00 dollars.', '18'],
    ['The answer is unclear, maybe 4', '4'],
  ])('%j → %s', (text, expected) => {
    expect(extractGsm8kAnswer(text)).toBe(expected);
  });

  it('returns undefined without a number; normalises gold answers', () => {
    expect(extractGsm8kAnswer('I do not know.')).toBeUndefined();
    expect(normalizeNumber(' -0 ')).toBe('0');
    expect(goldGsm8kAnswer('5 + 5 = 10\n#### 1,000')).toBe('1000');
    expect(() => goldGsm8kAnswer('no marker', 'f.jsonl: record 3')).toThrow(
      'f.jsonl: record 3: field "answer" does not end with',
    );
  });
});

describe('GSM8K files', () => {
  it('name the file and line of a bad row', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eval-suites-gsm8k-'));
    try {
      const file = path.join(dir, 'test.jsonl');
      await writeFile(file, '{"question": "q", "answer": "a\\n#### 1"}\n{"question": "q2"}\n');
      await expect(loadGsm8k(file)).rejects.toThrow(`${file}:2: field answer: `);
      await writeFile(
        file,
        '{"question": "q", "answer": "a\\n#### 1"}\n{"question": "q", "answer": "none"}\n',
      );
      await expect(loadGsm8k(file)).rejects.toThrow(
        `${file}: record 2: field "answer" does not end with "#### <number>"`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const testFile = DATA_DIR && path.join(DATA_DIR, 'gsm8k', 'test.jsonl');

describe.skipIf(!testFile)('GSM8K on the official test split', () => {
  it('an oracle that reads the question from the prompt scores 100% through generation and extraction', async () => {
    const gold = new Map<string, string>();
    for (const line of readFileSync(testFile!, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as { question: string; answer: string };
      gold.set(row.question, row.answer.split('####').pop()!.trim());
    }
    const oracle = scriptedModel(
      () => 0,
      (prompt) => {
        const key = findSuffix(prompt, 'Q: ', (k) => k.endsWith('\nA:') && gold.has(k.slice(0, -3)));
        if (!key) throw new Error('question not found');
        // raw gold (e.g. "2,125"), a decoy number after it, and a next question that the stop removes
        return ` Working: 1 + 1 = 2. The answer is ${gold.get(key.slice(0, -3))}. Extra 77\n\nQ: next 99`;
      },
    );
    const problems = await loadGsm8k(testFile!);
    expect(problems).toHaveLength(1319);
    const result = await evaluateGsm8k(oracle, problems, { batchSize: 64 });
    expect(result.accuracy).toBe(1);
    expect(result.predictions[0]!.completion).not.toContain('Q: next');
    expect(oracle.generateCalls[0]).toMatchObject({ maxNewTokens: 256, temperature: 0 });
    const blind = await evaluateGsm8k(
      scriptedModel(
        () => 0,
        () => ' The answer is 0.',
      ),
      problems,
      { limit: 100 },
    );
    expect(blind.total).toBe(100);
    expect(blind.accuracy).toBe(problems.slice(0, 100).filter((p) => p.gold === '0').length / 100);
  });
});
