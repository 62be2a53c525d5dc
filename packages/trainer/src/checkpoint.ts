/**
 * Training checkpoints, written atomically: each checkpoint is a directory
 * `checkpoints/step-NNNNNN/` holding `trainable.safetensors` (parameters and the AdamW moments) and
 * `state.json` (step, data position, run id, fingerprint), plus the state a method keeps outside
 * its parameters when it has any (AdaLoRA's rank allocator: tensors under `extra/` in the same
 * safetensors file, values in state.json's `extra` field); it is written under a temporary name
 * and renamed into place, and `checkpoints/latest` (a one-line file, itself replaced atomically)
 * names the newest one. A run killed at any instant leaves either the previous or the new
 * checkpoint; the temporary files it leaves are removed when the next run starts.
 *
 * A run owns its output folder: {@link prepareRunDir} refuses a folder holding another run's
 * files unless the caller resumes it or overwrites it, and pruning only ever removes checkpoints
 * of the current run (same run id), oldest step first.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import path from 'node:path';
import { FileError, removeStaleTempFiles, writeFileAtomicSync } from '@hydralora/common';
import { SafetensorsFile, writeSafetensors } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './optim.js';

export interface CheckpointState {
  step: number;
  epoch: number;
  cursor: number;
  /** Identifies the run that wrote the checkpoint (kept across resumes). */
  runId: string;
  /** Config fields that must not change across a resume (checked on load). */
  fingerprint: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * State outside the trained parameters that a checkpoint must hold for an exact resume (an
 * adapter method's, e.g. AdaLoRA's importance moments and rank masks): float tensors by name and
 * JSON values. Written in the same atomic checkpoint write as the parameters.
 */
export interface CheckpointExtraState {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  values: Record<string, unknown>;
}

/** What a training run writes into its output folder (and what marks the folder as a run's). */
export const RUN_FILES = ['checkpoints', 'metrics.jsonl', 'adapter', 'run.json'] as const;

const PARAM = 'param/';
const M = 'adam_m/';
const V = 'adam_v/';
const EXTRA = 'extra/';
const STEP_DIR = /^step-(\d+)$/;
/** Run `fn`; an error it throws is re-thrown as a FileError naming the path and the operation. */
export function withPath<T>(file: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw new FileError(file, `cannot ${action}`, error);
  }
}

/**
 * Remove what interrupted writes of dead processes left in the output folder and its
 * checkpoints (`.step-N.tmp-PID`, `.latest.tmp-PID-…`, `.metrics.jsonl.tmp-PID-…`).
 */
export function removeStaleTemps(outDir: string): string[] {
  return [outDir, path.join(outDir, 'checkpoints')].flatMap((dir) => removeStaleTempFiles(dir));
}

export interface RunDirOptions {
  /** Continue the run whose checkpoint `checkpoints/latest` names (an error if there is none). */
  resume?: boolean;
  /** Replace another run's files in the folder (checkpoints, metrics.jsonl, adapter, run.json). */
  overwrite?: boolean;
}

/**
 * Make `outDir` this run's: remove stale temporary files; with `resume`, return the checkpoint to
 * continue from (an error when the folder, `latest` or the checkpoint it names is missing);
 * otherwise refuse a folder holding another run's files unless `overwrite`, which removes them.
 */
export function prepareRunDir(outDir: string, options: RunDirOptions = {}): { checkpoint?: string } {
  if (options.resume && options.overwrite) throw new Error('resume and overwrite exclude each other');
  if (options.resume) {
    if (!fs.existsSync(outDir)) throw new Error(`cannot resume: ${outDir} does not exist`);
    removeStaleTemps(outDir);
    const checkpoint = latestCheckpoint(outDir);
    if (!checkpoint)
      throw new Error(
        `cannot resume: ${path.join(outDir, 'checkpoints', 'latest')} does not exist (no checkpoint was written)`,
      );
    return { checkpoint };
  }
  withPath(outDir, 'create', () => fs.mkdirSync(outDir, { recursive: true }));
  const present = RUN_FILES.filter((f) => fs.existsSync(path.join(outDir, f)));
  if (present.length > 0) {
    if (!options.overwrite)
      throw new Error(
        `${outDir} holds another run's files (${present.join(', ')}): resume it, overwrite it, or choose another output folder`,
      );
    for (const f of present) {
      const p = path.join(outDir, f);
      withPath(p, 'remove', () => fs.rmSync(p, { recursive: true, force: true }));
    }
  }
  removeStaleTemps(outDir);
  return {};
}

/** A new run id. */
export function newRunId(): string {
  return randomUUID();
}

export function saveCheckpoint(
  dir: string,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
  state: CheckpointState,
  keep = 2,
  extra?: CheckpointExtraState,
): string {
  const root = path.join(dir, 'checkpoints');
  withPath(root, 'create', () => fs.mkdirSync(root, { recursive: true }));
  const name = `step-${String(state.step).padStart(6, '0')}`;
  const final = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}`);
  withPath(tmp, 'create', () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
  });
  const opt = optimizer.state();
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [];
  for (const [k, p] of params) {
    tensors.push([PARAM + k, { shape: p.shape, data: p.dataSync() as Float32Array }]);
    tensors.push([M + k, { shape: p.shape, data: opt.m.get(k)! }]);
    tensors.push([V + k, { shape: p.shape, data: opt.v.get(k)! }]);
  }
  for (const [k, t] of Object.entries(extra?.tensors ?? {})) tensors.push([EXTRA + k, t]);
  const weights = path.join(tmp, 'trainable.safetensors');
  withPath(weights, 'write', () => writeSafetensors(weights, tensors, { format: 'hydralora-checkpoint' }));
  const stateFile = path.join(tmp, 'state.json');
  withPath(stateFile, 'write', () =>
    fs.writeFileSync(
      stateFile,
      `${JSON.stringify({ ...state, optimizerStep: opt.step, ...(extra ? { extra: extra.values } : {}) }, null, 2)}\n`,
    ),
  );
  withPath(final, 'move into place', () => {
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(tmp, final);
  });
  writeFileAtomicSync(path.join(root, 'latest'), `${name}\n`);
  pruneCheckpoints(root, state.runId, keep);
  return final;
}

/** Steps of the checkpoints under `root` written by run `runId`, ascending. */
function runCheckpoints(root: string, runId: string): { step: number; dir: string }[] {
  const out: { step: number; dir: string }[] = [];
  for (const name of withPath(root, 'list', () => fs.readdirSync(root))) {
    const m = STEP_DIR.exec(name);
    if (!m) continue;
    const dir = path.join(root, name);
    const stateFile = path.join(dir, 'state.json');
    if (!fs.existsSync(stateFile)) continue;
    const state = readState(stateFile);
    if (state.runId === runId) out.push({ step: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Keep the newest `keep` checkpoints (by step number) of run `runId`; others are left alone. */
export function pruneCheckpoints(root: string, runId: string, keep: number): void {
  const mine = runCheckpoints(root, runId);
  for (const { dir } of mine.slice(0, Math.max(0, mine.length - keep)))
    withPath(dir, 'remove', () => fs.rmSync(dir, { recursive: true, force: true }));
}

/**
 * The checkpoint `checkpoints/latest` names, or undefined when there is no `latest`. A `latest`
 * naming a missing or incomplete checkpoint is an error (resuming from it would silently restart).
 */
export function latestCheckpoint(dir: string): string | undefined {
  const root = path.join(dir, 'checkpoints');
  const pointer = path.join(root, 'latest');
  if (!fs.existsSync(pointer)) return undefined;
  const name = withPath(pointer, 'read', () => fs.readFileSync(pointer, 'utf8')).trim();
  if (!STEP_DIR.test(name))
    throw new Error(`${pointer}: expected a checkpoint name like step-000050, got '${name}'`);
  const ckpt = path.join(root, name);
  if (!fs.existsSync(path.join(ckpt, 'state.json')))
    throw new Error(`${pointer} names ${name}, but ${path.join(ckpt, 'state.json')} does not exist`);
  return ckpt;
}

function readState(stateFile: string): CheckpointState & { optimizerStep: number } {
  const text = withPath(stateFile, 'read', () => fs.readFileSync(stateFile, 'utf8'));
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new Error(`${stateFile}: invalid JSON: ${(error as Error).message}`);
  }
  const s = state as Record<string, unknown>;
  for (const key of ['step', 'epoch', 'cursor', 'optimizerStep'])
    if (!Number.isInteger(s?.[key]))
      throw new Error(`${stateFile}: field '${key}' = ${JSON.stringify(s?.[key])}: expected an integer`);
  return state as CheckpointState & { optimizerStep: number };
}

/**
 * Restore parameters and optimiser state; returns the saved state, with `extra` when the
 * checkpoint holds a method's state (see {@link CheckpointExtraState}). Errors name the file and
 * tensor.
 */
export function loadCheckpoint(
  ckpt: string,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
): CheckpointState & { extra?: CheckpointExtraState } {
  const state = readState(path.join(ckpt, 'state.json'));
  const file = SafetensorsFile.open(path.join(ckpt, 'trainable.safetensors'));
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [k, p] of params) {
    if (!file.tensors.has(PARAM + k)) {
      throw new Error(
        `${file.file}: checkpoint has no tensor '${PARAM + k}' (was it written by a run with another method or target_modules?)`,
      );
    }
    const t = file.read(PARAM + k);
    if (t.data.length !== p.size)
      throw new Error(`${file.file}: tensor '${PARAM + k}' has shape [${t.shape}], expected [${p.shape}]`);
    tf.tidy(() => p.assign(tf.tensor(t.data, p.shape)));
    m.set(k, file.read(M + k).data);
    v.set(k, file.read(V + k).data);
  }
  optimizer.load({ step: state.optimizerStep, m, v });
  const { extra: values, ...rest } = state as CheckpointState & { optimizerStep: number; extra?: unknown };
  if (values === undefined) return rest;
  if (!values || typeof values !== 'object' || Array.isArray(values))
    throw new Error(
      `${path.join(ckpt, 'state.json')}: field 'extra' = ${JSON.stringify(values)}: expected an object`,
    );
  const tensors: CheckpointExtraState['tensors'] = {};
  for (const name of file.tensors.keys())
    if (name.startsWith(EXTRA)) tensors[name.slice(EXTRA.length)] = file.read(name);
  return { ...rest, extra: { tensors, values: values as Record<string, unknown> } };
}
