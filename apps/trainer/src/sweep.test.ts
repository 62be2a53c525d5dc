import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTinyModel } from './__fixtures__/tiny-model.js';
import { parseKRange, runSweep } from './sweep.js';

let modelDir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  modelDir = makeTinyModel();
});

describe('sweep', () => {
  it('parses K ranges and lists, naming the flag and value on bad input', () => {
    expect(parseKRange('1..6')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseKRange('2,4,8')).toEqual([2, 4, 8]);
    expect(parseKRange('3')).toEqual([3]);
    for (const bad of ['0..3', '5..2', 'a', '2,,3', '1.5'])
      expect(() => parseKRange(bad)).toThrow(
        `--k: expected a range like 1..6 or a list like 2,4,8 of positive integers, got '${bad}'`,
      );
  });

  it('returns one row per K with parameter counts growing by one B head (+ gate row) per K', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'sweep-'));
    const before = tf.memory().numTensors;
    const r = await runSweep({
      out,
      model: modelDir,
      perComponentTrain: 12,
      perComponentTest: 3,
      steps: 2,
      microBatchSize: 8,
      lr: 1e-2,
      kMax: 5,
      ks: [1, 2, 3],
      seeds: [0],
      r: 4,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.rows.map((x) => x.k)).toEqual([1, 2, 3]);
    // Per adapted layer: A = in·r, each B head = r·out, the gate = in·K.
    const d1 = r.rows[1]!.trainable - r.rows[0]!.trainable;
    const d2 = r.rows[2]!.trainable - r.rows[1]!.trainable;
    expect(d1).toBe(d2);
    expect(d1).toBeGreaterThan(0);
    for (const row of r.rows) expect(Object.keys(row.perComponent)).toEqual(r.components);
    expect(r.table.split('\n')).toHaveLength(5);
    const json = JSON.parse(readFileSync(r.files.results, 'utf8'));
    expect(json.rows).toHaveLength(3);
    expect(readFileSync(r.files.report, 'utf8')).toContain('Exact match against K');
  });
});
