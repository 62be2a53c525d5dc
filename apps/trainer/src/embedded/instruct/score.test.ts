import { describe, expect, it } from 'vitest';
import { normalizeAnswer, scoreExactMatch } from './score.js';
import type { InstructionExample } from './types.js';

const ex = (component: string, output: string): InstructionExample => ({
  instruction: 'q',
  input: 'x',
  output,
  component,
});

describe('scoreExactMatch', () => {
  it('normalises whitespace, case, a trailing period and text after the first line', () => {
    expect(normalizeAnswer('  Noun.\nbecause it names a thing')).toBe('noun');
    expect(normalizeAnswer('K  AE', true)).toBe('K AE');
    expect(normalizeAnswer('K AE', false)).toBe('k ae');
  });

  it('counts per component and overall (hand-computed)', () => {
    const examples = [ex('a', 'noun'), ex('a', 'verb'), ex('b', '144'), ex('b', '45'), ex('b', 'N')];
    const predictions = ['NOUN', 'noun', ' 144 ', '54', 'n'];
    const report = scoreExactMatch(predictions, examples);
    expect(report.perComponent.a).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(report.perComponent.b).toEqual({ correct: 2, total: 3, accuracy: 2 / 3 });
    expect(report.overall).toEqual({ correct: 3, total: 5, accuracy: 0.6 });
    expect(report.hits).toEqual([true, false, true, false, true]);
    expect(scoreExactMatch(predictions, examples, { caseSensitive: ['b'] }).perComponent.b!.correct).toBe(1);
  });

  it('rejects mismatched lengths', () => {
    expect(() => scoreExactMatch(['a'], [])).toThrow(/1 predictions for 0 examples/);
  });
});
