import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR, FIXTURES } from '../testing/data.js';
import { findSuffix, scriptedModel } from '../testing/models.js';
import { evaluateMmlu } from './evaluate.js';
import { loadMmlu, type MmluData, parseMmluCsv } from './load.js';
import { buildMmluPrompt } from './prompt.js';

describe('MMLU CSV', () => {
  it('parses quoted fields with commas and newlines', async () => {
    const data = await loadMmlu(path.join(FIXTURES, 'mmlu'));
    expect(data.subjects).toEqual(['college_medicine', 'high_school_physics']);
    const q = data.test.get('college_medicine')!;
    expect(q).toHaveLength(3);
    expect(q[1]!.question).toBe('Which statement is true?\nConsider "both" lines, carefully.');
    expect(q[1]!.choices).toEqual(['x, y', 'z', 'w', 'v']);
    expect(q[2]!.answer).toBe('D');
  });

  it('names the file and line of a malformed row', () => {
    expect(() => parseMmluCsv('q,a,b,c,d,A\n"multi\nline",a,b,c,d,B\nq,a,b,c,E\n', 's', 'f.csv')).toThrow(
      'f.csv:4: expected 6 fields (question,A,B,C,D,answer), got 5',
    );
    expect(() => parseMmluCsv('q,a,b,c,d,A\nq,a,b,c,d,E\n', 's', 'f.csv')).toThrow(
      'f.csv:2: field "answer" must be one of A, B, C, D, got "E"',
    );
    expect(() => parseMmluCsv('q,a,b,c,d,A\n"open,a,b,c,d,A\n', 's', 'f.csv')).toThrow(
      /^f\.csv:\d+: malformed CSV/,
    );
  });

  it('throws on an unknown subject', async () => {
    await expect(loadMmlu(path.join(FIXTURES, 'mmlu'), ['astrology'])).rejects.toThrow(
      'MMLU subject "astrology" has no file',
    );
  });
});

describe('MMLU prompt', () => {
  it('matches the original format (header, k dev shots, question, "Answer:")', async () => {
    const data = await loadMmlu(path.join(FIXTURES, 'mmlu'));
    const question = data.test.get('high_school_physics')![0]!;
    expect(buildMmluPrompt(question, data.dev.get('high_school_physics')!, 1)).toBe(
      'The following are multiple choice questions (with answers) about high school physics.\n\n' +
        'What is the SI unit of force?\nA. joule\nB. newton\nC. watt\nD. pascal\nAnswer: B\n\n' +
        'A ball is dropped. Its speed after 1 s is about\nA. 1 m/s\nB. 5 m/s\nC. 10 m/s\nD. 20 m/s\nAnswer:',
    );
    expect(() => buildMmluPrompt(question, [], 1)).toThrow('has 0 dev examples, 1 shots asked');
  });
});

describe('MMLU scoring', () => {
  it('predicts the argmax letter, with micro, macro and group averages', async () => {
    const data = await loadMmlu(path.join(FIXTURES, 'mmlu'));
    // always " B": correct on 1/3 medicine questions and 0/1 physics question
    const model = scriptedModel((_p, c) => (c === ' B' ? -1 : -2));
    const result = await evaluateMmlu(model, data, { batchSize: 5 });
    expect(result.subjects.college_medicine).toEqual({ correct: 1, total: 3, accuracy: 1 / 3 });
    expect(result.micro).toBeCloseTo(1 / 4, 12);
    expect(result.macro).toBeCloseTo((1 / 3 + 0) / 2, 12);
    expect(result.groups).toEqual({});
    expect(model.scoreCalls).toBe(Math.ceil(16 / 5));
  });
});

const mmluDir = DATA_DIR && path.join(DATA_DIR, 'mmlu');

/** Gold answers keyed by the question block, written out here independently of prompt.ts. */
function goldByBlock(dir: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of readdirSync(path.join(dir, 'test'))) {
    const rows = parseMmluCsv(readFileSync(path.join(dir, 'test', name), 'utf8'), name, name);
    for (const r of rows) {
      const block = `${r.question}\nA. ${r.choices[0]}\nB. ${r.choices[1]}\nC. ${r.choices[2]}\nD. ${r.choices[3]}\nAnswer:`;
      map.set(block, r.answer);
    }
  }
  return map;
}

describe.skipIf(!mmluDir)('MMLU on the official data', () => {
  let loaded: Promise<MmluData> | undefined;
  const official = () => {
    loaded ??= loadMmlu(mmluDir!);
    return loaded;
  };

  it('has 57 subjects, 5 dev questions each, 14,042 test questions', async () => {
    const data = await official();
    expect(data.subjects).toHaveLength(57);
    expect([...data.dev.values()].every((d) => d.length === 5)).toBe(true);
    expect([...data.test.values()].reduce((n, t) => n + t.length, 0)).toBe(14042);
  });

  it('an oracle that reads the question from the prompt scores 100% (0- and 5-shot)', async () => {
    const gold = goldByBlock(mmluDir!);
    const oracle = scriptedModel((prompt, continuation) => {
      const block = findSuffix(prompt, '\n\n', (k) => gold.has(k));
      if (!block) throw new Error(`question not found in prompt: ${prompt.slice(-200)}`);
      return continuation === ` ${gold.get(block)}` ? 0 : -5;
    });
    const data = await official();
    for (const shots of [0, 5]) {
      const result = await evaluateMmlu(oracle, data, { shots, limitPerSubject: 8, batchSize: 64 });
      expect(result.predictions).toHaveLength(57 * 8);
      expect(result.micro).toBe(1);
      expect(result.macro).toBe(1);
      expect(Object.keys(result.groups).sort()).toEqual(['law', 'medical']);
      expect(result.groups.medical).toEqual({ correct: 24, total: 24, accuracy: 1 });
    }
  });

  it('a question-blind model scores chance: constant → share of gold "A"; random → 25% within a 99.9% CI', async () => {
    const data = await official();
    const limitPerSubject = 40;
    const constant = await evaluateMmlu(
      scriptedModel(() => -1),
      data,
      { limitPerSubject },
    );
    const n = constant.predictions.length;
    const shareA = constant.predictions.filter((p) => p.answer === 'A').length / n;
    expect(constant.micro).toBe(shareA);
    // a seeded pseudo-random score that ignores the question: uniform guessing
    let state = 12345;
    const random = scriptedModel(() => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    });
    const guessed = await evaluateMmlu(random, data, { limitPerSubject });
    const halfWidth = 3.29 * Math.sqrt((0.25 * 0.75) / n);
    expect(Math.abs(guessed.micro - 0.25)).toBeLessThan(halfWidth);
    expect(Math.abs(shareA - 0.25)).toBeLessThan(0.05);
  });
});
