/**
 * `hydralora lorahub` through the built CLI: two LoRAs trained with `hydralora train` on two
 * different tasks, composed for examples of the first task.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../__fixtures__/tiny-model.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
let root: string;
let modelDir: string;
const adapters: string[] = [];
let taskFile: string;

const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'lorahub-cli-'));
  modelDir = path.join(root, 'model');
  const add = Array.from({ length: 48 }, (_, i) => ({
    instruction: 'Add the numbers.',
    input: `${i} and 2`,
    output: String(i + 2),
  }));
  const colour = Array.from({ length: 48 }, (_, i) => ({
    instruction: 'Name a colour.',
    input: `${i}`,
    output: i % 2 ? 'red' : 'blue',
  }));
  makeTinyModel({
    dir: modelDir,
    texts: [...add, ...colour].map((r) => `${r.instruction} ${r.input} ${r.output}`),
    vocabSize: 300,
    minFrequency: 1,
    seed: 2,
  });
  for (const [name, records] of [
    ['add', add],
    ['colour', colour],
  ] as const) {
    const data = path.join(root, `${name}.jsonl`);
    writeFileSync(data, records.map((r) => JSON.stringify(r)).join('\n'));
    const out = path.join(root, `run-${name}`);
    const t = run(
      [
        'train',
        '--model',
        modelDir,
        '--data',
        data,
        '--method',
        'lora',
        '--r',
        '4',
        '--target-modules',
        'q_proj,v_proj',
      ].concat([
        '--steps',
        '30',
        '--micro-batch-size',
        '8',
        '--lr',
        '0.02',
        '--seed',
        '1',
        '--out',
        out,
        '--quiet',
      ]),
    );
    expect(t.status, t.stderr).toBe(0);
    adapters.push(path.join(out, 'adapter'));
  }
  taskFile = path.join(root, 'add.jsonl');
}, 300_000);

describe.skipIf(!existsSync(cli))('hydralora lorahub', () => {
  it('composes the adapters for a few examples, saves a LoRA that score and generate load', () => {
    const out = path.join(root, 'hub');
    const r = run(
      ['lorahub', '--model', modelDir, '--adapters', adapters.join(','), '--data', taskFile].concat([
        '--out',
        out,
        '--examples',
        '8',
        '--max-evaluations',
        '25',
        '--json',
      ]),
    );
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.weights).toHaveLength(2);
    expect(s.examples).toBe(8);
    expect(s.evaluations).toBeLessThanOrEqual(25);
    // fitted on the addition examples: better than the base model and than the plain average, and
    // the addition adapter weighs more than the colour one
    expect(s.loss).toBeLessThan(s.baseLoss);
    expect(s.loss).toBeLessThanOrEqual(s.averageLoss);
    expect(s.weights[0]).toBeGreaterThan(s.weights[1]);
    const record = JSON.parse(readFileSync(path.join(out, 'lorahub.json'), 'utf8'));
    expect(record.history).toHaveLength(s.evaluations);
    expect(record.algorithm).toBe('LN_NELDERMEAD');
    expect(JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8')).peft_type).toBe('LORA');
    const score = run([
      'score',
      '--model',
      modelDir,
      '--adapter',
      out,
      '--text',
      'Add the numbers. 3 and 2',
      '--json',
    ]);
    expect(score.status, score.stderr).toBe(0);
    expect(JSON.parse(score.stdout).logprobs.every((x: number) => Number.isFinite(x))).toBe(true);
    const gen = run([
      'generate',
      '--model',
      modelDir,
      '--adapter',
      out,
      '--prompt',
      'Add the numbers.',
      '--max-new-tokens',
      '3',
      '--json',
    ]);
    expect(gen.status, gen.stderr).toBe(0);
  });

  it('says what is wrong with its flags', () => {
    const bad = run([
      'lorahub',
      '--model',
      modelDir,
      '--adapters',
      adapters[0]!,
      '--data',
      taskFile,
      '--out',
      root,
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--adapters expects at least 2 directories');
    const algo = run([
      'lorahub',
      '--model',
      modelDir,
      '--adapters',
      adapters.join(','),
      '--data',
      taskFile,
      '--out',
      root,
      '--algorithm',
      'X',
    ]);
    expect(algo.stderr).toContain('--algorithm expects one of LN_NELDERMEAD');
  });
});
