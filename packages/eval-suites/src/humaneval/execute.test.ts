import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../testing/data.js';
import { scriptedModel } from '../testing/models.js';
import { evaluateHumanEval, scoreSamples } from './evaluate.js';
import { buildProgram, executeCompletion } from './execute.js';
import { type HumanEvalProblem, loadHumanEval, loadSamples } from './load.js';

let problems: HumanEvalProblem[];
let scratch: string;
const add = () => problems[0]!;

beforeAll(async () => {
  problems = await loadHumanEval(path.join(FIXTURES, 'humaneval', 'problems.jsonl'));
  scratch = await mkdtemp(path.join(tmpdir(), 'eval-suites-test-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('HumanEval loading', () => {
  it('reads .jsonl.gz like .jsonl', async () => {
    const gz = path.join(scratch, 'p.jsonl.gz');
    await writeFile(gz, gzipSync(readFileSync(path.join(FIXTURES, 'humaneval', 'problems.jsonl'))));
    expect(await loadHumanEval(gz)).toEqual(problems);
  });

  it('names the file, line and missing field', async () => {
    const bad = path.join(scratch, 'bad.jsonl');
    await writeFile(
      bad,
      '{"task_id":"a","prompt":"","entry_point":"f","test":"x"}\n\n{"task_id":"b","prompt":""}\n',
    );
    await expect(loadHumanEval(bad)).rejects.toThrow(`${bad}:3: field entry_point: `);
    await writeFile(bad, '{"task_id": "a", "completion": 1}\n');
    await expect(loadSamples(bad)).rejects.toThrow(`${bad}:1: field completion: `);
    await writeFile(bad, '{"task_id": "a",\n');
    await expect(loadSamples(bad)).rejects.toThrow(`${bad}:1: malformed JSON`);
  });
});

describe('executeCompletion', () => {
  it('builds the program as OpenAI does, plus the completion marker', () => {
    expect(buildProgram(add(), '    return a + b')).toBe(
      `${add().prompt}    return a + b\n${add().test}\ncheck(add)\nimport os as __hydralora_os\n__hydralora_os.write(3, b"HYDRALORA-CHECK-COMPLETED")\n`,
    );
  });

  it('passes a correct completion and fails a wrong one with the error', async () => {
    expect(await executeCompletion(add(), '    return a + b\n')).toMatchObject({
      passed: true,
      reason: 'passed',
      exitCode: 0,
    });
    const wrong = await executeCompletion(add(), '    return a - b\n');
    expect(wrong.passed).toBe(false);
    expect(wrong.reason).toBe('failed: AssertionError');
    expect(wrong.exitCode).toBe(1);
  });

  it('contains an infinite loop: the group is killed at the time limit', async () => {
    const result = await executeCompletion(add(), '    while True:\n        pass\n', { timeoutMs: 1000 });
    expect(result).toMatchObject({ passed: false, reason: 'timed out', signal: 'SIGKILL' });
  });

  it('counts exit(), sys.exit(0) and os._exit(0) before the checks as failures', async () => {
    for (const body of [
      '    exit()\n',
      '    import sys\n    sys.exit(0)\n',
      '    import os\n    os._exit(0)\n',
    ]) {
      const result = await executeCompletion(add(), body);
      expect(result.passed, body).toBe(false);
      expect(result.exitCode, body).toBe(0);
      expect(result.reason).toBe('failed: exited before the checks completed (exit code 0)');
    }
    const crashed = await executeCompletion(add(), '    import os\n    os._exit(3)\n');
    expect(crashed).toMatchObject({ passed: false, exitCode: 3, reason: 'failed: exit code 3' });
  });

  it('runs in its own temp dir (removed), with no inherited secrets, stdin closed', async () => {
    process.env.HYDRALORA_TEST_SECRET = 'hunter2';
    try {
      const probe = path.join(scratch, 'probe.txt');
      const body =
        '    import os, sys\n' +
        `    open(${JSON.stringify(probe)}, "w").write(os.getcwd() + "\\n" + ",".join(sorted(os.environ)))\n` +
        '    return a + b\n';
      expect((await executeCompletion(add(), body)).passed).toBe(true);
      const [cwd, names] = (await readFile(probe, 'utf8')).split('\n');
      expect(path.basename(cwd!)).toMatch(/^hydralora-humaneval-/);
      expect(existsSync(cwd!)).toBe(false);
      expect(names!.split(',').filter((n) => n !== 'LC_CTYPE')).toEqual(['LANG', 'PATH']);
    } finally {
      delete process.env.HYDRALORA_TEST_SECRET;
    }
    const reads = await executeCompletion(add(), '    return int(input())\n');
    expect(reads.reason).toMatch(/^failed: EOFError/);
  });

  it('kills background children with the group and caps the output', async () => {
    const pidFile = path.join(scratch, 'child.pid');
    const body =
      '    import subprocess\n' +
      `    p = subprocess.Popen(["sleep", "30"])\n    open(${JSON.stringify(pidFile)}, "w").write(str(p.pid))\n` +
      '    return a + b\n';
    expect((await executeCompletion(add(), body)).passed).toBe(true);
    const pid = Number(await readFile(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    // gone, or a zombie waiting for its new parent to reap it: not running either way
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    expect(stat === '' || /^\d+ \(sleep\) Z/.test(stat), stat).toBe(true);
    const loud = await executeCompletion(add(), '    while True:\n        print("x" * 1000)\n', {
      maxOutputBytes: 100_000,
    });
    expect(loud).toMatchObject({ passed: false, reason: 'output limit exceeded' });
  });
});

describe('scoreSamples', () => {
  it('scores a samples file with pass@k and per-task results', async () => {
    const samples = [
      ...Array.from({ length: 10 }, (_, i) => ({
        task_id: 'Fix/0',
        completion: i < 4 ? '    return a + b\n' : '    return 0\n',
      })),
      ...Array.from({ length: 10 }, () => ({ task_id: 'Fix/1', completion: "    return s.upper() + '!'\n" })),
    ];
    const result = await scoreSamples(problems, samples);
    expect(result.tasks.map((t) => [t.task_id, t.n, t.correct])).toEqual([
      ['Fix/0', 10, 4],
      ['Fix/1', 10, 10],
    ]);
    expect(result.passAtK['pass@1']).toBeCloseTo((0.4 + 1) / 2, 12);
    expect(result.passAtK['pass@10']).toBe(1);
    expect(result.passAtK['pass@100']).toBeUndefined();
  });

  it('rejects unknown task ids and unattempted problems', async () => {
    await expect(scoreSamples(problems, [{ task_id: 'X', completion: '' }])).rejects.toThrow(
      'unknown problem "X"',
    );
    await expect(scoreSamples(problems, [{ task_id: 'Fix/0', completion: '' }])).rejects.toThrow(
      'no sample for 1 problem(s): Fix/1',
    );
  });
});

describe('evaluateHumanEval', () => {
  it('samples with seed + j and the Codex stop sequences, cutting what the model runs past', async () => {
    const model = scriptedModel(
      () => 0,
      (_prompt, options) =>
        options.seed === 0 ? '    return a + b\n\ndef extra():\n    pass\n' : '    return b - a\n#',
    );
    const result = await evaluateHumanEval(model, [add()], { samplesPerProblem: 2, seed: 0 });
    expect(model.generateCalls.map((o) => [o.seed, o.temperature, o.stop])).toEqual([
      [0, 0.8, ['\nclass', '\ndef', '\n#', '\nif', '\nprint']],
      [1, 0.8, ['\nclass', '\ndef', '\n#', '\nif', '\nprint']],
    ]);
    expect(result.tasks[0]!.samples.map((s) => [s.completion, s.passed])).toEqual([
      ['    return a + b\n', true],
      ['    return b - a', false],
    ]);
    expect(result.passAtK).toEqual({ 'pass@1': 0.5 });
  });
});
