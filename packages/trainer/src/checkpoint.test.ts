import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointParams } from './__fixtures__/checkpoint-params.js';
import { deadPid } from './__fixtures__/dead-pid.js';
import { latestCheckpoint, loadCheckpoint, prepareRunDir, saveCheckpoint } from './checkpoint.js';

const { params, optimizer, save } = checkpointParams();
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
const steps = (dir: string) =>
  readdirSync(path.join(dir, 'checkpoints')).filter((d) => d.startsWith('step-'));

describe('a run owns its output folder', () => {
  it("refuses a folder with another run's files unless resume or overwrite; overwrite removes only them", () => {
    const dir = tmp();
    expect(prepareRunDir(dir)).toEqual({});
    writeFileSync(path.join(dir, 'metrics.jsonl'), '{"event":"step","step":1}\n');
    mkdirSync(path.join(dir, 'adapter'));
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    expect(() => prepareRunDir(dir)).toThrow(
      new RegExp(`${dir} holds another run's files \\(metrics.jsonl, adapter\\): resume it, overwrite it`),
    );
    prepareRunDir(dir, { overwrite: true });
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(() => prepareRunDir(dir, { resume: true, overwrite: true })).toThrow(/exclude each other/);
  });

  it('resume with nothing valid to resume is an error naming what is missing', () => {
    const missing = path.join(tmp(), 'nope');
    expect(() => prepareRunDir(missing, { resume: true })).toThrow(
      `cannot resume: ${missing} does not exist`,
    );
    const empty = tmp();
    expect(() => prepareRunDir(empty, { resume: true })).toThrow(
      `cannot resume: ${path.join(empty, 'checkpoints', 'latest')} does not exist`,
    );
    const dangling = tmp();
    save(dangling, 5, 'run-a');
    writeFileSync(path.join(dangling, 'checkpoints', 'latest'), 'step-000099\n');
    expect(() => prepareRunDir(dangling, { resume: true })).toThrow(
      `${path.join(dangling, 'checkpoints', 'latest')} names step-000099, but ${path.join(dangling, 'checkpoints', 'step-000099', 'state.json')} does not exist`,
    );
    expect(prepareRunDir(path.join(dangling), { resume: false, overwrite: true })).toEqual({});
  });

  it('removes the temporary files that crashed writers left when a run starts', () => {
    const dir = tmp();
    save(dir, 5, 'run-a');
    const root = path.join(dir, 'checkpoints');
    const dead = deadPid();
    mkdirSync(path.join(root, `.step-000010.tmp-${dead}`));
    writeFileSync(path.join(root, `.step-000010.tmp-${dead}`, 'trainable.safetensors'), 'partial');
    writeFileSync(path.join(root, `.latest.tmp-${dead}-ab12`), 'step-0000');
    writeFileSync(path.join(dir, `.metrics.jsonl.tmp-${dead}-cd34`), '{"ev');
    writeFileSync(path.join(dir, 'keep.tmp-1.txt'), 'not ours');
    const { checkpoint } = prepareRunDir(dir, { resume: true });
    expect(checkpoint).toBe(path.join(root, 'step-000005'));
    expect(readdirSync(root).sort()).toEqual(['latest', 'step-000005']);
    expect(readdirSync(dir).sort()).toEqual(['checkpoints', 'keep.tmp-1.txt']);
  });
});

describe('pruning', () => {
  it("keeps the newest N checkpoints of the current run by step number, never another run's", () => {
    const dir = tmp();
    save(dir, 100, 'old-run', 5);
    save(dir, 200, 'old-run', 5);
    save(dir, 5, 'new-run');
    save(dir, 10, 'new-run');
    expect(steps(dir).sort()).toEqual(['step-000005', 'step-000010', 'step-000100', 'step-000200']);
    save(dir, 15, 'new-run');
    expect(steps(dir).sort()).toEqual(['step-000010', 'step-000015', 'step-000100', 'step-000200']);
    expect(latestCheckpoint(dir)).toBe(path.join(dir, 'checkpoints', 'step-000015'));
    // Step 1000000 has a longer name than 999999 (sorts before it by name), not by number.
    save(dir, 999_999, 'new-run', 1);
    save(dir, 1_000_000, 'new-run', 1);
    expect(steps(dir).filter((s) => !s.startsWith('step-0001') && !s.startsWith('step-0002'))).toEqual([
      'step-1000000',
    ]);
  });
});

describe("a method's extra state", () => {
  it('is written inside the checkpoint (tensors under extra/, values in state.json) and read back as written', () => {
    const dir = tmp();
    const extra = {
      tensors: { 'ipt/q#0': { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, 7]) } },
      values: { totalStep: 12, rankMasks: { q: [true, false] } },
    };
    const ckpt = saveCheckpoint(
      dir,
      params(),
      optimizer(),
      { step: 4, epoch: 0, cursor: 4, runId: 'x', fingerprint: {} },
      2,
      extra,
    );
    // one directory, moved into place as a whole: nothing of the state lies outside it
    expect(readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(['latest', 'step-000004']);
    expect(readdirSync(ckpt).sort()).toEqual(['state.json', 'trainable.safetensors']);
    expect(JSON.parse(readFileSync(path.join(ckpt, 'state.json'), 'utf8')).extra).toEqual(extra.values);
    const state = loadCheckpoint(ckpt, params(), optimizer());
    expect(state.extra!.values).toEqual(extra.values);
    expect(state.extra!.tensors['ipt/q#0']!.shape).toEqual([2, 3]);
    expect(Array.from(state.extra!.tensors['ipt/q#0']!.data)).toEqual(
      Array.from(extra.tensors['ipt/q#0'].data),
    );
    // a checkpoint without it has none
    expect(loadCheckpoint(save(tmp(), 2), params(), optimizer()).extra).toBeUndefined();
    const stateFile = path.join(ckpt, 'state.json');
    const json = JSON.parse(readFileSync(stateFile, 'utf8'));
    writeFileSync(stateFile, JSON.stringify({ ...json, extra: [1] }));
    expect(() => loadCheckpoint(ckpt, params(), optimizer())).toThrow(
      `${stateFile}: field 'extra' = [1]: expected an object`,
    );
  });
});

describe('corrupt files', () => {
  it('a corrupt state.json names the file; a bad step field names file and field', () => {
    const dir = tmp();
    const ckpt = save(dir, 3, 'run-a');
    const stateFile = path.join(ckpt, 'state.json');
    const good = readFileSync(stateFile, 'utf8');
    writeFileSync(stateFile, '{"step": 3,');
    expect(() => loadCheckpoint(ckpt, params(), optimizer())).toThrow(`${stateFile}: invalid JSON`);
    writeFileSync(stateFile, good.replace('"step": 3', '"step": "three"'));
    expect(() => loadCheckpoint(ckpt, params(), optimizer())).toThrow(
      `${stateFile}: field 'step' = "three": expected an integer`,
    );
    writeFileSync(stateFile, good);
    expect(loadCheckpoint(ckpt, params(), optimizer()).step).toBe(3);
    expect(existsSync(path.join(ckpt, 'trainable.safetensors'))).toBe(true);
  });
});
