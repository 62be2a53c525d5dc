import { describe, expect, it } from 'vitest';
import { TaskRegistry } from './registry.js';
import { registerBuiltinTasks } from './tasks.js';

describe('TaskRegistry', () => {
  it('registers the built-in tasks once and throws on duplicates', () => {
    const registry = registerBuiltinTasks(new TaskRegistry());
    expect(registry.names()).toEqual(['mmlu', 'gsm8k', 'humaneval', 'bbh', 'perplexity']);
    expect(() => registerBuiltinTasks(registry)).toThrow('eval task "mmlu" is already registered');
    expect(() => registry.get('nope')).toThrow(/unknown eval task "nope" \(known: mmlu, gsm8k/);
  });

  it('accepts a plugin task and runs it', async () => {
    const registry = new TaskRegistry().register({
      name: 'echo',
      description: 'echo the limit',
      run: async (context) => ({
        task: 'echo',
        metrics: { limit: context.limit ?? 0 },
        count: 0,
        details: null,
        config: {},
      }),
    });
    expect(registry.has('echo')).toBe(true);
    expect((await registry.get('echo').run({ data: '.', limit: 7 })).metrics.limit).toBe(7);
  });

  it('model tasks say that they need a model', async () => {
    const registry = registerBuiltinTasks(new TaskRegistry());
    await expect(registry.get('gsm8k').run({ data: '.' })).rejects.toThrow('eval task "gsm8k" needs a model');
  });
});
