import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  formatFieldPath,
  formatSchemaError,
  formatValue,
  parseWithSchema,
  SchemaError,
} from './format-error.js';

const schema = z.strictObject({
  r: z.number().int().positive(),
  target_modules: z.array(z.string()),
  messages: z.array(z.object({ role: z.enum(['user', 'assistant']) })).optional(),
});

describe('formatSchemaError', () => {
  it('writes one line per issue with the file, field, message and value', () => {
    const input = { r: -2, target_modules: ['q_proj', 7], messages: [{ role: 'bot' }], lora_alhpa: 16 };
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    const text = formatSchemaError(result.error!, { file: 'adapter_config.json', input });
    expect(text.split('\n')).toEqual([
      'adapter_config.json: field r: Too small: expected number to be >0 (got -2)',
      'adapter_config.json: field target_modules[1]: Invalid input: expected string, received number (got 7)',
      'adapter_config.json: field messages[0].role: Invalid option: expected one of "user"|"assistant" (got "bot")',
      'adapter_config.json: field lora_alhpa: unknown key (got 16)',
    ]);
  });
  it('says (missing) for an absent field and puts `what` after the file', () => {
    const input = { target_modules: [] };
    const error = schema.safeParse(input).error!;
    expect(formatSchemaError(error, { file: 'c.json', what: 'adapter config', input })).toBe(
      'c.json: adapter config: field r: Invalid input: expected number, received undefined (missing)',
    );
    expect(formatSchemaError(error)).toBe('field r: Invalid input: expected number, received undefined');
  });
  it('parseWithSchema throws a SchemaError with the issues, and returns the parsed value', () => {
    expect(parseWithSchema(schema, { r: 4, target_modules: ['v_proj'] })).toEqual({
      r: 4,
      target_modules: ['v_proj'],
    });
    let error: unknown;
    try {
      parseWithSchema(schema, { r: 1.5, target_modules: [] }, { file: 'x.json' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect((error as SchemaError).issues).toHaveLength(1);
    expect((error as Error).message).toBe(
      'x.json: field r: Invalid input: expected int, received number (got 1.5)',
    );
  });
  it('formats paths and long values', () => {
    expect(formatFieldPath([])).toBe('(root)');
    expect(formatFieldPath(['a', 0, 'b'])).toBe('a[0].b');
    expect(formatValue('x'.repeat(200))).toHaveLength(80);
    expect(formatValue(10n)).toBe('10n');
    expect(formatValue(undefined)).toBe('undefined');
  });
});
