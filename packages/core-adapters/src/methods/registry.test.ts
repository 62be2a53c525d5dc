import { describe, expect, it } from 'vitest';
import { hydraMethod } from './hydra/index.js';
import { createMethodRegistry } from './registry.js';

describe('method registry', () => {
  it('holds the built-ins, finds them by peft_type, and throws on duplicates and unknowns', () => {
    const registry = createMethodRegistry();
    expect(registry.names()).toEqual([
      'lora',
      'split',
      'hydra',
      'hydra-diverse',
      'lora-moe',
      'inverted-hydra',
      'ia3',
      'full',
      'prompt-tuning',
      'prefix-tuning',
      'p-tuning',
      'adalora',
    ]);
    expect(registry.byPeftType('P_TUNING', 'f.json').name).toBe('p-tuning');
    expect(registry.byPeftType('PREFIX_TUNING', 'f.json').name).toBe('prefix-tuning');
    expect(registry.byPeftType('PROMPT_TUNING', 'f.json').name).toBe('prompt-tuning');
    expect(registry.byPeftType('LORA', 'f.json').name).toBe('lora');
    expect(registry.byPeftType('IA3', 'f.json').name).toBe('ia3');
    expect(registry.byPeftType('FULL', 'f.json').name).toBe('full');
    expect(registry.byPeftType('ADALORA', 'f.json').name).toBe('adalora');
    expect(() => registry.register(hydraMethod)).toThrow(/'hydra' is already registered/);
    expect(() => registry.register({ ...hydraMethod, name: 'other' })).toThrow(
      /peft_type 'HYDRALORA' is already used/,
    );
    expect(() => registry.get('dora', 'cfg.json')).toThrow(
      `cfg.json: field 'method' = "dora" is unknown; expected one of: lora, split, hydra, hydra-diverse, lora-moe, inverted-hydra, ia3, full, prompt-tuning, prefix-tuning, p-tuning, adalora`,
    );
  });
});
