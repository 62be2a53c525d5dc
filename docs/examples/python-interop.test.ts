/**
 * Runs python-interop.ts: a HydraLoRA adapter goes to the official layout and back with the same
 * outputs, and PyTorch (when installed) reads the written file with the official tensor names.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectAdapters } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OneLinearModel } from './plugins/moe-diverse-method.js';
import { fromPython, toPython } from './python-interop.js';

const dir = mkdtempSync(join(tmpdir(), 'docs-python-interop-'));
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('python-interop.ts', () => {
  it('writes the official layout and reads it back into a fresh model with the same outputs', async () => {
    const source = new OneLinearModel(6, 4, 1);
    const adapter = injectAdapters(source, {
      method: 'hydra',
      r: 2,
      lora_alpha: 4,
      num_heads: 3,
      target_modules: ['proj'],
    });
    const layer = adapter.layers().get('proj')!;
    tf.tidy(() => layer.bCat.assign(tf.randomNormal(layer.bCat.shape, 0, 0.5, 'float32', 3)));
    await toPython(adapter, join(dir, 'out'));
    const config = JSON.parse(readFileSync(join(dir, 'out', 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 2, lora_alpha: 4, lora_nums: 3 });

    const target = new OneLinearModel(6, 4, 1);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await fromPython(target, join(dir, 'out'));
    expect(log).toHaveBeenCalledWith('HydraLoRA: 3 heads, r = 2, lora_alpha = 4');
    log.mockRestore();
    const x = tf.tensor3d([[[0.3, -1.2, 0.5, 2.0, -0.7, 0.1]]]);
    const [a, b] = [source.layer.apply(x), target.layer.apply(x)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Math.max(...Array.from(tf.sub(a, linearBase(source, x)).dataSync(), Math.abs))).toBeGreaterThan(
      0.01,
    );
    tf.dispose([x, a, b]);
  });

  it.skipIf(!hasTorch)('PyTorch loads the .bin with the official key names', () => {
    const keys = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, torch; print(",".join(sorted(torch.load(sys.argv[1]))))',
        join(dir, 'out', 'adapter_model.bin'),
      ],
      { encoding: 'utf8' },
    ).trim();
    const p = 'base_model.model.proj';
    expect(keys.split(',')).toEqual([
      `${p}.lora_A.weight`,
      `${p}.lora_B0.weight`,
      `${p}.lora_B1.weight`,
      `${p}.lora_B2.weight`,
      `${p}.lora_route.weight`,
    ]);
  });
});

function linearBase(model: OneLinearModel, x: tf.Tensor): tf.Tensor {
  const adapter = model.layer.adapter;
  model.layer.adapter = null;
  const base = model.layer.apply(x);
  model.layer.adapter = adapter;
  return base;
}
