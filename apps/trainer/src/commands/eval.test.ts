import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EvalModel, resolvePython } from '@hydralora/eval-suites';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvalCommand } from './eval.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hydralora-eval-cmd-'));
  await writeFile(
    path.join(dir, 'problems.jsonl'),
    `${JSON.stringify({ task_id: 'T/0', prompt: 'def one():\n', entry_point: 'one', test: 'def check(f):\n    assert f() == 1\n' })}\n`,
  );
  await writeFile(
    path.join(dir, 'samples.jsonl'),
    ['    return 1\n', '    return 2\n']
      .map((completion) => JSON.stringify({ task_id: 'T/0', completion }))
      .join('\n'),
  );
  await writeFile(
    path.join(dir, 'gsm.jsonl'),
    `${JSON.stringify({ question: 'What is 2 + 2?', answer: '2 + 2 = 4\n#### 4' })}\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hydralora eval', () => {
  it('scores a humaneval samples file without a model', async () => {
    const result = await runEvalCommand('humaneval', {
      data: path.join(dir, 'problems.jsonl'),
      samples: path.join(dir, 'samples.jsonl'),
      progress: false,
    });
    expect(result.metrics).toEqual({ 'pass@1': 0.5 });
    expect(result.details).toMatchObject([{ task_id: 'T/0', n: 2, correct: 1 }]);
  });

  it('refuses humaneval without bubblewrap in one line, and runs it with --unsafe-no-sandbox', async () => {
    // a PATH that holds python3 but no bwrap
    const bin = path.join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(resolvePython(), path.join(bin, 'python3'));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      const options = {
        data: path.join(dir, 'problems.jsonl'),
        samples: path.join(dir, 'samples.jsonl'),
        progress: false,
      };
      const error = await runEvalCommand('humaneval', options).catch((e: Error) => e);
      expect((error as Error).message).toMatch(
        /^HumanEval execution needs bubblewrap, and "bwrap" was not found: install bubblewrap \(Debian\/Ubuntu: apt-get install bubblewrap.*or pass --unsafe-no-sandbox/,
      );
      expect((error as Error).message).not.toContain('\n');
      const unsafe = await runEvalCommand('humaneval', { ...options, unsafeNoSandbox: true });
      expect(unsafe.metrics).toEqual({ 'pass@1': 0.5 });
      expect(unsafe.config).toMatchObject({ sandbox: 'none (--unsafe-no-sandbox)' });
    } finally {
      process.env.PATH = saved;
    }
  });

  it('loads the model through the injected hook', async () => {
    const seen: unknown[] = [];
    const model: EvalModel = {
      score: async () => [],
      generate: async (prompts) => prompts.map(() => ' 2 + 2 = 4. The answer is 4.'),
    };
    const result = await runEvalCommand(
      'gsm8k',
      { data: path.join(dir, 'gsm.jsonl'), model: 'm', adapter: 'a', shots: 2 },
      {
        loadEvalModel: async (source) => {
          seen.push(source);
          return model;
        },
      },
    );
    expect(seen).toEqual([{ model: 'm', adapter: 'a' }]);
    expect(result).toMatchObject({ metrics: { accuracy: 1 }, config: { shots: 2 } });
  });

  it('explains bad invocations', async () => {
    const data = path.join(dir, 'gsm.jsonl');
    await expect(runEvalCommand('squad', { data })).rejects.toThrow(
      "unknown eval task 'squad'; expected one of mmlu",
    );
    await expect(runEvalCommand('gsm8k', { data })).rejects.toThrow('eval gsm8k needs --model DIR');
    await expect(runEvalCommand('gsm8k', { data, model: 'm' })).rejects.toThrow(
      'model loading is wired by the trainer',
    );
    await expect(runEvalCommand('gsm8k', { data, samples: 's' })).rejects.toThrow(
      '--samples only applies to humaneval',
    );
    expect(await readFile(data, 'utf8')).toContain('#### 4');
  });
});
