import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR } from '../testing/data.js';
import { scoreSamples } from './evaluate.js';
import { loadHumanEval, loadSamples } from './load.js';

const dir = DATA_DIR && path.join(DATA_DIR, 'humaneval');

describe.skipIf(!dir)('HumanEval on the official data', () => {
  it('example_samples.jsonl gives the pass@1 OpenAI reports (3 of 6 pass: 0.4999...)', async () => {
    const problems = await loadHumanEval(path.join(dir!, 'example_problem.jsonl'));
    const samples = await loadSamples(path.join(dir!, 'example_samples.jsonl'));
    const result = await scoreSamples(problems, samples);
    // 1 - (1 - 1/4)(1 - 1/5)(1 - 1/6) in floating point, exactly as numpy computes it
    expect(result.passAtK).toEqual({ 'pass@1': 1 - (1 - 1 / 4) * (1 - 1 / 5) * (1 - 1 / 6) });
    expect(result.passAtK['pass@1']).toBeCloseTo(0.5, 12);
    expect(result.tasks[0]!.samples.map((s) => s.passed)).toEqual([false, false, false, true, true, true]);
    expect(result.tasks[0]!.samples[1]!.reason).toBe('timed out');
  });

  // Every 16th problem in the default run (11 programs); all 164 with HYDRALORA_SLOW_TESTS=1
  // (164 python processes at concurrency 2: 36-46 s on the shared, loaded 2-core machine).
  // The time limit is raised from the harness's 3 s only because that machine's load can slow
  // Python start-up several-fold.
  const all = process.env.HYDRALORA_SLOW_TESTS === '1';
  it(`canonical solutions pass ${all ? '164/164' : 'a spread subset'} under the sandbox`, {
    timeout: 300_000,
  }, async () => {
    const problems = await loadHumanEval(path.join(dir!, 'HumanEval.jsonl.gz'));
    expect(problems).toHaveLength(164);
    const chosen = all ? problems : problems.filter((_, i) => i % 16 === 0);
    const samples = chosen.map((p) => ({ task_id: p.task_id, completion: p.canonical_solution ?? '' }));
    const result = await scoreSamples(chosen, samples, { concurrency: 2, timeoutMs: 15_000 });
    const failed = result.tasks
      .filter((t) => t.correct !== 1)
      .map((t) => `${t.task_id}: ${t.samples[0]!.reason}`);
    expect(failed).toEqual([]);
    expect(result.tasks).toHaveLength(all ? 164 : 11);
    expect(result.passAtK).toEqual({ 'pass@1': 1 });
  });
});
