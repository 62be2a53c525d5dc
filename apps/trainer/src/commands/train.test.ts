/**
 * `hydralora train` end to end through the built CLI: a run killed with SIGKILL mid-training and
 * resumed with --resume continues from its last checkpoint onto the same loss curve as a run that
 * was never interrupted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '@hydralora/core-adapters';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from '../__fixtures__/tiny-model.js';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli.js');
let modelDir: string;
let dataFile: string;

beforeAll(() => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'train-cli-'));
  modelDir = path.join(root, 'model');
  const records = Array.from({ length: 64 }, (_, i) => ({
    instruction: i % 2 ? 'Add the numbers.' : 'Name a colour.',
    input: `${i} and ${i + 2}`,
    output: i % 2 ? String(2 * i + 2) : ['red', 'blue'][i % 4 === 0 ? 0 : 1],
  }));
  makeTinyModel({
    dir: modelDir,
    texts: records.map((r) => `${r.instruction} ${r.input} ${r.output}`),
    vocabSize: 300,
    minFrequency: 1,
    seed: 2,
  });
  dataFile = path.join(root, 'train.jsonl');
  writeFileSync(dataFile, records.map((r) => JSON.stringify(r)).join('\n'));
});

const args = (out: string) => [
  'train',
  '--model',
  modelDir,
  '--data',
  dataFile,
  '--method',
  'hydra',
  '--num-heads',
  '2',
  '--r',
  '4',
  '--steps',
  '40',
  '--micro-batch-size',
  '4',
  '--lr',
  '0.01',
  '--checkpoint-every',
  '5',
  '--seed',
  '1',
  '--out',
  out,
];
const losses = (out: string) =>
  readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.event === 'step')
    .map((r) => [r.step, r.loss] as [number, number]);

describe.skipIf(!existsSync(cli))('hydralora train (built CLI)', () => {
  it('resumes after kill -9 onto the uninterrupted loss curve', async () => {
    const straight = mkdtempSync(path.join(os.tmpdir(), 'train-straight-'));
    const s = spawnSync(process.execPath, [cli, ...args(straight), '--json'], { encoding: 'utf8' });
    expect(s.status, s.stderr).toBe(0);
    const reference = losses(straight);
    expect(reference.map((x) => x[0])).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

    const out = mkdtempSync(path.join(os.tmpdir(), 'train-killed-'));
    const child = spawn(process.execPath, [cli, ...args(out), '--json'], { stdio: 'ignore' });
    // Kill it once it has passed its second checkpoint.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(path.join(out, 'metrics.jsonl')) && losses(out).length >= 12) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run finished before it could be killed'));
      });
    });
    await new Promise((r) => child.on('close', r));
    const killedAt = losses(out).length;
    expect(killedAt).toBeLessThan(40);

    const resumed = spawnSync(process.execPath, [cli, ...args(out), '--resume', '--json'], {
      encoding: 'utf8',
    });
    expect(resumed.status, resumed.stderr).toBe(0);
    const curve = losses(out);
    expect(curve.map((x) => x[0])).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    curve.forEach(([, loss], i) => expect(loss).toBeCloseTo(reference[i]![1], 4));
  });

  it('rejects an unknown config key by name', () => {
    const cfg = path.join(mkdtempSync(path.join(os.tmpdir(), 'train-cfg-')), 'c.yaml');
    writeFileSync(cfg, `model: ${modelDir}\ndata: ${dataFile}\nlearning_rate: 0.1\n`);
    const r = spawnSync(process.execPath, [cli, 'train', '--config', cfg], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/c\.yaml: unknown key 'learning_rate'/);
  });

  it("refuses an --out that holds another run's files unless --resume or --overwrite", () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'train-owned-'));
    writeFileSync(path.join(out, 'metrics.jsonl'), '{"event":"step","step":1}\n');
    const r = spawnSync(process.execPath, [cli, ...args(out), '--quiet'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${out} holds another run's files (metrics.jsonl)`);
    const resumed = spawnSync(process.execPath, [cli, ...args(out), '--resume'], { encoding: 'utf8' });
    expect(resumed.status).toBe(1);
    expect(resumed.stderr).toContain(
      `cannot resume: ${path.join(out, 'checkpoints', 'latest')} does not exist`,
    );
  });

  it('train --method split gives an adapter that score and generate use without component ids', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'train-split-'));
    const flags = [
      'train',
      '--model',
      modelDir,
      '--data',
      dataFile,
      '--method',
      'split',
      '--num-heads',
      'auto',
    ];
    const t = spawnSync(
      process.execPath,
      [cli, ...flags, '--k-max', '3', '--r', '2', '--steps', '6', '--lr', '0.01', '--out', out, '--quiet'],
      { encoding: 'utf8' },
    );
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toBe('');
    const adapter = path.join(out, 'adapter');
    expect(JSON.parse(readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8')).split_router).toBe(
      true,
    );
    const score = spawnSync(
      process.execPath,
      [
        cli,
        'score',
        '--model',
        modelDir,
        '--adapter',
        adapter,
        '--text',
        'Add the numbers. 3 and 5',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(score.status, score.stderr).toBe(0);
    const { logprobs } = JSON.parse(score.stdout) as { logprobs: number[] };
    expect(logprobs.length).toBeGreaterThan(2);
    expect(logprobs.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    const gen = spawnSync(
      process.execPath,
      [
        cli,
        'generate',
        '--model',
        modelDir,
        '--adapter',
        adapter,
        '--prompt',
        'Name a colour.',
        '--max-new-tokens',
        '4',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(gen.status, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout).tokens.length).toBeGreaterThan(0);
  });

  it('train --method adalora: the AdaLoRA flags reach the saved PEFT config, ranks are masked to the target', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'train-adalora-'));
    const t = spawnSync(
      process.execPath,
      [
        cli,
        'train',
        '--model',
        modelDir,
        '--data',
        dataFile,
        '--method',
        'adalora',
        '--target-r',
        '2',
        '--init-r',
        '4',
        '--tinit',
        '1',
        '--tfinal',
        '2',
        '--delta-t',
        '1',
        '--orth-reg-weight',
        '0.1',
        '--steps',
        '8',
        '--lr',
        '0.05',
        '--json',
      ],
      { encoding: 'utf8', cwd: out },
    );
    expect(t.status, t.stderr).toBe(0);
    const adapter = path.join(out, 'runs', 'latest', 'adapter');
    const config = JSON.parse(readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'ADALORA',
      target_r: 2,
      init_r: 4,
      tinit: 1,
      tfinal: 2,
      deltaT: 1,
      total_step: 8,
    });
    expect(config.orth_reg_weight).toBe(0.1);
    const { tensors } = decodeSafetensors(readFileSync(path.join(adapter, 'adapter_model.safetensors')));
    const e = Object.entries(tensors).filter(([k]) => k.endsWith('.lora_E'));
    expect(e.length).toBeGreaterThan(0);
    const kept = e.reduce((n, [, v]) => n + Array.from(v.data).filter((x) => x !== 0).length, 0);
    expect(kept).toBe(2 * e.length);
  });

  it.each([
    ['ia3', 'adapter_model.safetensors', '0.05'],
    ['full', 'model.safetensors', '0.005'],
  ])('train --method %s: trains, saves, and score/generate load it', (method, file, lr) => {
    const out = mkdtempSync(path.join(os.tmpdir(), `train-${method}-`));
    const t = spawnSync(
      process.execPath,
      [cli, 'train', '--model', modelDir, '--data', dataFile, '--method', method, '--steps', '6', '--lr', lr],
      { encoding: 'utf8', cwd: out },
    );
    expect(t.status, t.stderr).toBe(0);
    const adapter = path.join(out, 'runs', 'latest', 'adapter');
    expect(existsSync(path.join(adapter, file))).toBe(true);
    const config = JSON.parse(readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8'));
    expect(config.peft_type).toBe(method === 'ia3' ? 'IA3' : 'FULL');
    if (method === 'ia3') {
      expect(config.target_modules).toEqual(['k_proj', 'v_proj', 'down_proj']);
      expect(config.feedforward_modules).toEqual(['down_proj']);
    }
    const run = JSON.parse(readFileSync(path.join(out, 'runs', 'latest', 'run.json'), 'utf8'));
    if (method === 'full') expect(run.basePercent).toBe(100);
    else expect(run.basePercent).toBeLessThan(1);
    expect(run.heads).toBe(1); // no clustering step for a method without heads
    const score = (withAdapter: boolean) => {
      const r = spawnSync(
        process.execPath,
        [
          cli,
          'score',
          '--model',
          modelDir,
          ...(withAdapter ? ['--adapter', adapter] : []),
          '--text',
          'Add the numbers. 3 and 5',
          '--json',
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { logprobs: number[] }).logprobs;
    };
    const adapted = score(true);
    expect(adapted.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
    expect(adapted).not.toEqual(score(false));
    // export --merge writes a model directory that scores as the base model with the adapter
    const merged = path.join(out, 'merged');
    const exp = spawnSync(
      process.execPath,
      [cli, 'export', '--model', modelDir, '--adapter', adapter, '--out', merged, '--merge'],
      { encoding: 'utf8' },
    );
    expect(exp.status, exp.stderr).toBe(0);
    expect(exp.stdout).toContain(`adapter ${adapter}: ${method}`);
    const plain = spawnSync(
      process.execPath,
      [cli, 'score', '--model', merged, '--text', 'Add the numbers. 3 and 5', '--json'],
      { encoding: 'utf8' },
    );
    expect(plain.status, plain.stderr).toBe(0);
    const mergedScores = (JSON.parse(plain.stdout) as { logprobs: number[] }).logprobs;
    mergedScores.forEach((x, i) => expect(Math.abs(x - adapted[i]!)).toBeLessThan(1e-4));
    const noMerge = spawnSync(
      process.execPath,
      [cli, 'export', '--model', modelDir, '--adapter', adapter, '--out', path.join(out, 'lora')],
      { encoding: 'utf8' },
    );
    expect(noMerge.status).not.toBe(0);
    expect(noMerge.stderr).toContain(
      `method '${method}' is not a LoRA, so it has no PEFT LoRA form; export it with --merge`,
    );
    const gen = spawnSync(
      process.execPath,
      [
        cli,
        'generate',
        '--model',
        modelDir,
        '--adapter',
        adapter,
        '--prompt',
        'Name a colour.',
        '--max-new-tokens',
        '4',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(gen.status, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout).tokens.length).toBeGreaterThan(0);
  });

  describe.each([
    [
      'prompt-tuning',
      'PROMPT_TUNING',
      ['--prompt-tuning-init', 'TEXT', '--prompt-tuning-init-text', 'Add the numbers.'],
    ],
    ['prefix-tuning', 'PREFIX_TUNING', ['--prefix-projection']],
    ['p-tuning', 'P_TUNING', ['--encoder-reparameterization-type', 'LSTM', '--encoder-hidden-size', '8']],
  ])('train --method %s, then score and generate with the saved adapter', (method, peftType, extra) => {
    it('trains (the loss falls), saves in PEFT layout, and the adapter changes score and generate', () => {
      const out = mkdtempSync(path.join(os.tmpdir(), `train-${method}-`));
      const t = spawnSync(
        process.execPath,
        [
          cli,
          ...['train', '--model', modelDir, '--data', dataFile, '--method', method, '--num-heads', '1'],
          ...['--num-virtual-tokens', '4', ...extra, '--steps', '12', '--lr', '0.05', '--warmup-steps', '0'],
          ...['--micro-batch-size', '8', '--seed', '3', '--out', out, '--quiet'],
        ],
        { encoding: 'utf8' },
      );
      expect(t.status, t.stderr).toBe(0);
      const curve = losses(out);
      expect(curve).toHaveLength(12);
      const mean = (xs: [number, number][]) => xs.reduce((a, [, l]) => a + l, 0) / xs.length;
      expect(mean(curve.slice(-3))).toBeLessThan(mean(curve.slice(0, 3)));
      const adapter = path.join(out, 'adapter');
      const config = JSON.parse(readFileSync(path.join(adapter, 'adapter_config.json'), 'utf8'));
      expect(config).toMatchObject({ peft_type: peftType, num_virtual_tokens: 4, task_type: 'CAUSAL_LM' });
      const score = (withAdapter: boolean) => {
        const r = spawnSync(
          process.execPath,
          [
            cli,
            ...['score', '--model', modelDir, ...(withAdapter ? ['--adapter', adapter] : [])],
            ...['--text', 'Add the numbers. 3 and 5', '--json'],
          ],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
        return (JSON.parse(r.stdout) as { logprobs: number[] }).logprobs;
      };
      const adapted = score(true);
      const base = score(false);
      expect(adapted).toHaveLength(base.length);
      expect(adapted.every((x) => Number.isFinite(x) && x < 0)).toBe(true);
      expect(Math.max(...adapted.map((x, i) => Math.abs(x - base[i]!)))).toBeGreaterThan(1e-3);
      const gen = spawnSync(
        process.execPath,
        [
          cli,
          ...['generate', '--model', modelDir, '--adapter', adapter, '--prompt', 'Name a colour.'],
          ...['--max-new-tokens', '4', '--json'],
        ],
        { encoding: 'utf8' },
      );
      expect(gen.status, gen.stderr).toBe(0);
      expect(JSON.parse(gen.stdout).tokens.length).toBeGreaterThan(0);
      // no LoRA update to export or analyse: a clear error, not an empty file
      const exported = spawnSync(
        process.execPath,
        [cli, 'export', '--model', modelDir, '--adapter', adapter, '--out', path.join(out, 'lora')],
        { encoding: 'utf8' },
      );
      expect(exported.status).toBe(1);
      expect(exported.stderr).toContain(`method '${method}' adds virtual tokens`);
    });
  });
});
