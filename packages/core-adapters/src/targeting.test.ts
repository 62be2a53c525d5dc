import { describe, expect, it } from 'vitest';
import { parseAdapterConfig } from './config.js';
import { matchesPattern, resolveTargets } from './targeting.js';

const NAMES = [
  'model.layers.0.self_attn.q_proj',
  'model.layers.0.self_attn.v_proj',
  'model.layers.1.self_attn.q_proj',
  'model.layers.1.mlp.up_proj',
  'lm_head',
];

const resolve = (fields: Record<string, unknown>) =>
  resolveTargets(NAMES, parseAdapterConfig({ target_modules: ['q_proj'], ...fields })).map((t) => t.name);

describe('target_modules (PEFT semantics)', () => {
  it('a list matches exact names and dotted suffixes, not substrings', () => {
    expect(resolve({ target_modules: ['q_proj', 'lm_head'] })).toEqual([NAMES[0], NAMES[2], 'lm_head']);
    expect(resolve({ target_modules: ['self_attn.v_proj'] })).toEqual([NAMES[1]]);
    expect(matchesPattern('model.layers.0.self_attn.xq_proj', ['q_proj'])).toBe(false);
  });

  it('a string is a full-match regex', () => {
    expect(resolve({ target_modules: '.*\\.1\\..*' })).toEqual([NAMES[2], NAMES[3]]);
    expect(resolve({ target_modules: '.*(q|v)_proj' })).toEqual(NAMES.slice(0, 3));
    // "q_proj" alone as a regex must match the whole name, so it matches nothing.
    expect(() => resolve({ target_modules: 'q_proj' })).toThrow(/matches none/);
  });

  it('"all-linear" takes every linear but the output head; exclude_modules removes more', () => {
    expect(resolve({ target_modules: 'all-linear' })).toEqual(NAMES.slice(0, 4));
    expect(resolve({ target_modules: 'all-linear', exclude_modules: ['up_proj'] })).toEqual(
      NAMES.slice(0, 3),
    );
    expect(resolve({ target_modules: 'all-linear', exclude_modules: '.*layers\\.0.*' })).toEqual(
      NAMES.slice(2, 4),
    );
  });

  it('rank_pattern and alpha_pattern override r and α per module (suffix regex)', () => {
    const targets = resolveTargets(
      NAMES,
      parseAdapterConfig({
        target_modules: 'all-linear',
        r: 8,
        lora_alpha: 16,
        rank_pattern: { 'layers\\.1\\.self_attn\\.q_proj': 4, up_proj: 2 },
        alpha_pattern: { v_proj: 3 },
      }),
    );
    expect(targets.map((t) => [t.r, t.alpha])).toEqual([
      [8, 16],
      [8, 3],
      [4, 16],
      [2, 16],
    ]);
  });

  it('an empty match lists the available names', () => {
    expect(() => resolve({ target_modules: ['k_proj'] })).toThrow(
      `adapter config: field 'target_modules' = ["k_proj"] matches none of the model's linear layers; available: ${NAMES.join(', ')}`,
    );
  });
});

describe('adapter config validation', () => {
  it('fills defaults', () => {
    const config = parseAdapterConfig({ target_modules: ['q_proj'] });
    expect(config).toMatchObject({
      method: 'lora',
      r: 8,
      lora_alpha: 16,
      lora_dropout: 0,
      num_heads: 4,
      router: 'dense',
    });
  });

  it('names the source, field and value of a mistake', () => {
    expect(() => parseAdapterConfig({ target_modules: ['q'], r: 0 }, 'cfg.json')).toThrow(
      /cfg\.json: invalid adapter config: field r: .* \(got 0\)/,
    );
    expect(() => parseAdapterConfig({ target_modules: ['q'], router_input: 'h' })).toThrow(
      /adapter config: invalid adapter config: field router_input: .* \(got "h"\)/,
    );
    expect(() => parseAdapterConfig({ target_modules: ['q'], rank: 4 })).toThrow(
      /field rank: unknown key \(got 4\)/,
    );
  });
});
