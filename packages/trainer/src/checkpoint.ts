/**
 * Training checkpoints, written atomically: each checkpoint is a directory
 * `checkpoints/step-NNNNNN/` holding `trainable.safetensors` (parameters and the AdamW moments) and
 * `state.json` (step, data position, loss history); it is written under a temporary name and
 * renamed into place, and `checkpoints/latest` (a one-line file, itself replaced atomically) names
 * the newest one. A run killed at any instant leaves either the previous or the new checkpoint.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SafetensorsFile, writeSafetensors } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './optim.js';

export interface CheckpointState {
  step: number;
  epoch: number;
  cursor: number;
  /** Config fields that must not change across a resume (checked on load). */
  fingerprint: Record<string, unknown>;
  [key: string]: unknown;
}

const PARAM = 'param/';
const M = 'adam_m/';
const V = 'adam_v/';

function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function saveCheckpoint(
  dir: string,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
  state: CheckpointState,
  keep = 2,
): string {
  const root = path.join(dir, 'checkpoints');
  mkdirSync(root, { recursive: true });
  const name = `step-${String(state.step).padStart(6, '0')}`;
  const final = path.join(root, name);
  const tmp = path.join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const opt = optimizer.state();
  const tensors: [string, { shape: number[]; data: Float32Array }][] = [];
  for (const [k, p] of params) {
    tensors.push([PARAM + k, { shape: p.shape, data: p.dataSync() as Float32Array }]);
    tensors.push([M + k, { shape: p.shape, data: opt.m.get(k)! }]);
    tensors.push([V + k, { shape: p.shape, data: opt.v.get(k)! }]);
  }
  writeSafetensors(path.join(tmp, 'trainable.safetensors'), tensors, { format: 'hydralora-checkpoint' });
  writeFileSync(
    path.join(tmp, 'state.json'),
    `${JSON.stringify({ ...state, optimizerStep: opt.step }, null, 2)}\n`,
  );
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  atomicWrite(path.join(root, 'latest'), `${name}\n`);
  // Keep the newest `keep` checkpoints.
  const all = readdirSync(root)
    .filter((d) => /^step-\d+$/.test(d))
    .sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep)))
    rmSync(path.join(root, old), { recursive: true, force: true });
  return final;
}

/** The newest complete checkpoint under `dir`, or undefined. */
export function latestCheckpoint(dir: string): string | undefined {
  const root = path.join(dir, 'checkpoints');
  const pointer = path.join(root, 'latest');
  if (!existsSync(pointer)) return undefined;
  const name = readFileSync(pointer, 'utf8').trim();
  const ckpt = path.join(root, name);
  return existsSync(path.join(ckpt, 'state.json')) ? ckpt : undefined;
}

/** Restore parameters and optimiser state; returns the saved state. Errors name the file and tensor. */
export function loadCheckpoint(
  ckpt: string,
  params: Map<string, tf.Variable>,
  optimizer: AdamW,
): CheckpointState {
  const stateFile = path.join(ckpt, 'state.json');
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as CheckpointState & { optimizerStep: number };
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
  return state;
}
