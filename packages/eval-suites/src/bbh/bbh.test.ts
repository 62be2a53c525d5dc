import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR, FIXTURES } from '../testing/data.js';
import { scriptedModel } from '../testing/models.js';
import { buildBbhPrompt, evaluateBbh, extractBbhAnswer } from './evaluate.js';
import { countShots, loadBbh, stripCotHeader } from './load.js';

describe('BBH prompts and extraction', () => {
  it('strips the canary header and keeps the description and shots', () => {
    const text = "CANARY line\n-----\nSay yes.\n\nQ: a\nA: Let's think step by step. So the answer is yes.\n";
    expect(stripCotHeader(text)).toBe("Say yes.\n\nQ: a\nA: Let's think step by step. So the answer is yes.");
    expect(() => stripCotHeader('-----\nno shots', 'p.txt')).toThrow('p.txt: no "Q:" shot found');
    expect(buildBbhPrompt('P', 'in')).toBe("P\n\nQ: in\nA: Let's think step by step.");
  });

  it.each([
    ['Because x. So the answer is (B).', '(B)'],
    ['So the answer is True.\nmore text', 'True'],
    ['So the answer is ] ) }.', '] ) }'],
    ['no phrase here', 'no phrase here'],
  ])('%j → %j', (text, expected) => {
    expect(extractBbhAnswer(text)).toBe(expected);
  });

  it('scores a fixture task per task and on average, and names a bad file', async () => {
    const tasks = await loadBbh(path.join(FIXTURES, 'bbh'));
    expect(tasks.map((t) => [t.name, t.examples.length, countShots(t.cotPrompt)])).toEqual([
      ['yes_no', 2, 3],
    ]);
    const model = scriptedModel(
      () => 0,
      () => ' It is. So the answer is yes.\n\nQ: other',
    );
    const result = await evaluateBbh(model, tasks);
    expect(result.tasks.yes_no).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(result.average).toBe(0.5);
    await expect(loadBbh(path.join(FIXTURES, 'bbh'), ['missing'])).rejects.toThrow(
      'BBH task "missing" has no file',
    );
    await expect(loadBbh(path.join(FIXTURES, 'bbh-bad'))).rejects.toThrow(
      /broken\.json: field examples\[0\]\.target: /,
    );
  });
});

const bbhDir = DATA_DIR && path.join(DATA_DIR, 'bbh');

describe.skipIf(!bbhDir)('BBH on the official data', () => {
  it('has 27 tasks, 6,511 examples and exactly 3 shots per CoT prompt, without the canary', async () => {
    const tasks = await loadBbh(bbhDir!);
    expect(tasks).toHaveLength(27);
    expect(tasks.reduce((n, t) => n + t.examples.length, 0)).toBe(6511);
    for (const task of tasks) {
      expect(countShots(task.cotPrompt), task.name).toBe(3);
      expect(task.cotPrompt).not.toContain('canary');
      expect(task.cotPrompt).not.toContain('-----');
      expect(task.cotPrompt.split('\n')[1]).toBe('');
    }
  });

  it('an oracle that reads the input from the prompt scores 100% on every task', async () => {
    // targets per input, in file order (causal_judgement repeats two inputs with different targets)
    const gold = new Map<string, string[]>();
    for (const name of readdirSync(bbhDir!)
      .filter((n) => n.endsWith('.json'))
      .sort()) {
      const { examples } = JSON.parse(readFileSync(path.join(bbhDir!, name), 'utf8')) as {
        examples: { input: string; target: string }[];
      };
      for (const e of examples) gold.set(e.input, [...(gold.get(e.input) ?? []), e.target]);
    }
    const suffix = "\nA: Let's think step by step.";
    const oracle = scriptedModel(
      () => 0,
      (prompt) => {
        expect(prompt.endsWith(suffix)).toBe(true);
        const input = prompt.slice(prompt.lastIndexOf('\n\nQ: ') + 5, -suffix.length);
        const target = gold.get(input)?.shift();
        if (target === undefined) throw new Error(`input not found: ${input.slice(0, 80)}`);
        return ` First, think. So the answer is ${target}.\n\nQ: another question`;
      },
    );
    const tasks = await loadBbh(bbhDir!);
    const result = await evaluateBbh(oracle, tasks, { batchSize: 128 });
    expect(Object.values(result.tasks).filter((t) => t.accuracy !== 1)).toEqual([]);
    expect(result.average).toBe(1);
    expect(result.predictions).toHaveLength(6511);
  });
});
