import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adapterConfigSchema } from '@hydralora/core-adapters';
import { describe, expect, it } from 'vitest';
import {
  parseTrainConfig,
  parseTrainingArguments,
  resolveTrainConfig,
  trainingArgumentsSchema,
} from './config.js';

describe('train config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hydra-cfg-'));

  it('reads YAML and JSON; flags override the file, adapter keys one by one', () => {
    const y = path.join(dir, 'c.yaml');
    writeFileSync(
      y,
      'model: m\ndata: d.jsonl\nlr: 0.001\nadapter:\n  r: 4\n  num_heads: 3\n  lora_alpha: 8\n',
    );
    const c = resolveTrainConfig(y, { lr: 0.01, adapter: { r: 16, lora_alpha: undefined } });
    expect(c.lr).toBe(0.01);
    expect(c.adapter.r).toBe(16);
    expect(c.adapter.num_heads).toBe(3);
    expect(c.adapter.lora_alpha).toBe(8);
    // The trainer's defaults, then the core-adapters defaults.
    expect(c.adapter.method).toBe('hydra');
    expect(c.adapter.lora_dropout).toBe(0.05);
    expect(c.adapter.use_rslora).toBe(false);
    const j = path.join(dir, 'c.json');
    writeFileSync(j, JSON.stringify({ model: 'm', data: 'd', adapter: { method: 'lora' } }));
    expect(resolveTrainConfig(j, {}).adapter.method).toBe('lora');
  });

  it('sets every adapter field in PEFT keys; init_seed and base model default from the run', () => {
    const c = parseTrainConfig({
      model: 'base',
      data: 'd',
      seed: -7,
      adapter: {
        use_rslora: true,
        exclude_modules: ['o_proj'],
        rank_pattern: { q_proj: 2 },
        alpha_pattern: { q_proj: 4 },
        router: 'top-k',
        router_top_k: 2,
        router_input: 'lora_a',
        router_aux: { load_balance: 0.01, importance: 0.1, z_loss: 0.001 },
        num_heads: 'auto',
      },
    });
    expect(c.adapter).toMatchObject({
      use_rslora: true,
      exclude_modules: ['o_proj'],
      rank_pattern: { q_proj: 2 },
      alpha_pattern: { q_proj: 4 },
      router_top_k: 2,
      router_input: 'lora_a',
      router_aux: { load_balance: 0.01, importance: 0.1, z_loss: 0.001 },
      num_heads: 'auto',
      init_seed: 7,
      base_model_name_or_path: 'base',
    });
    // Every key of the core-adapters schema is there: nothing renamed, nothing missing.
    expect(Object.keys(c.adapter).sort()).toEqual(Object.keys(adapterConfigSchema.shape).sort());
  });

  it("turns LoRA-Split's learned router on unless the config sets it", () => {
    expect(
      parseTrainConfig({ model: 'm', data: 'd', adapter: { method: 'split' } }).adapter.split_router,
    ).toBe(true);
    expect(
      parseTrainConfig({ model: 'm', data: 'd', adapter: { method: 'split', split_router: false } }).adapter
        .split_router,
    ).toBe(false);
    expect(parseTrainConfig({ model: 'm', data: 'd' }).adapter.split_router).toBe(false);
  });

  it("applies the method's defaults under the user's values: (IA)³'s PEFT targets, full's all weights", () => {
    const ia3 = parseTrainConfig({ model: 'm', data: 'd', adapter: { method: 'ia3' } }).adapter;
    expect([ia3.target_modules, ia3.feedforward_modules, ia3.num_heads, ia3.lora_dropout]).toEqual([
      ['k_proj', 'v_proj', 'down_proj'],
      ['down_proj'],
      1,
      0,
    ]);
    const own = parseTrainConfig({
      model: 'm',
      data: 'd',
      adapter: { method: 'ia3', target_modules: ['v_proj', 'up_proj'], feedforward_modules: ['up_proj'] },
    }).adapter;
    expect([own.target_modules, own.feedforward_modules]).toEqual([['v_proj', 'up_proj'], ['up_proj']]);
    const full = parseTrainConfig({ model: 'm', data: 'd', adapter: { method: 'full' } }).adapter;
    expect([full.target_modules, full.num_heads]).toEqual(['all-linear', 1]);
    expect(() => parseTrainConfig({ model: 'm', data: 'd', adapter: { method: 'dora' } })).toThrow(
      /config: field 'method' = "dora" is unknown/,
    );
  });

  it('rejects unknown keys by name (pointing old flat keys to their PEFT home) and bad values with field and value', () => {
    const y = path.join(dir, 'bad.yaml');
    writeFileSync(y, 'model: m\ndata: d\nlearning_rate: 0.1\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/bad\.yaml: unknown key 'learning_rate'/);
    writeFileSync(y, 'model: m\ndata: d\nalpha: 3\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/unknown key 'alpha' \(now 'adapter.lora_alpha'\)/);
    writeFileSync(y, 'model: m\ndata: d\nadapter:\n  r: -2\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/bad\.yaml: field 'adapter\.r' = -2/);
    writeFileSync(y, 'model: m\ndata: d\nadapter:\n  rank: 2\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/unknown key 'adapter\.rank'/);
    expect(() =>
      resolveTrainConfig(undefined, { model: 'm', data: 'd', adapter: { num_heads: 'many' } }),
    ).toThrow(/field 'adapter\.num_heads' = "many"/);
    writeFileSync(y, 'data: d\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/bad\.yaml: field 'model' is required$/);
    expect(() => resolveTrainConfig(undefined, { model: 'm', data: 'd', schedule: 'step' })).toThrow(
      /field 'schedule' = "step": expected one of: cosine, linear, constant/,
    );
  });

  it('training arguments: documented defaults, strict keys', () => {
    const a = parseTrainingArguments({});
    expect(a).toMatchObject({
      lr: 2e-4,
      warmupSteps: 10,
      clipNorm: 1,
      microBatchSize: 8,
      maxLength: 128,
      seed: 0,
    });
    expect(() => parseTrainingArguments({ workers: 2 } as never)).toThrow(/unknown key 'workers'/);
    for (const [name, field] of Object.entries(trainingArgumentsSchema.shape))
      expect(field.description, name).toBeTruthy();
  });
});
