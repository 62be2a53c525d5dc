import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from './config.js';

describe('train config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hydra-cfg-'));

  it('reads YAML and JSON; flags override the file', () => {
    const y = path.join(dir, 'c.yaml');
    writeFileSync(y, 'model: m\ndata: d.jsonl\nr: 4\nheads: 3\n');
    const c = resolveTrainConfig(y, { r: 16, alpha: undefined });
    expect(c.r).toBe(16);
    expect(c.heads).toBe(3);
    expect(c.alpha).toBe(16);
    const j = path.join(dir, 'c.json');
    writeFileSync(j, JSON.stringify({ model: 'm', data: 'd', method: 'lora' }));
    expect(resolveTrainConfig(j, {}).method).toBe('lora');
  });

  it('rejects unknown keys by name and bad values with field and value', () => {
    const y = path.join(dir, 'bad.yaml');
    writeFileSync(y, 'model: m\ndata: d\nlearning_rate: 0.1\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/bad\.yaml: unknown key 'learning_rate'/);
    writeFileSync(y, 'model: m\ndata: d\nr: -2\n');
    expect(() => resolveTrainConfig(y, {})).toThrow(/bad\.yaml: field 'r' = -2/);
    expect(() => resolveTrainConfig(undefined, { model: 'm', data: 'd', heads: 'many' })).toThrow(
      /field 'heads' = "many"/,
    );
  });
});
