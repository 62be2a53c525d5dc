/**
 * Schema errors as people read them: one line per problem, naming the file, the field, what is
 * wrong and the value that was given — `<file>: field <path>: <message> (got <value>)`.
 */
import type { z } from 'zod';

/** The part of a zod error this module reads (zod 4 classic and mini share it). */
export interface SchemaIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
  readonly input?: unknown;
}

/** Anything with zod's `issues` list. */
export interface SchemaErrorLike {
  readonly issues: readonly SchemaIssueLike[];
}

/** Where the checked value came from, for the message. */
export interface SchemaErrorContext {
  /** The file the value was read from (first in every line). */
  file?: string;
  /** What the value is, e.g. `adapter config` (after the file). */
  what?: string;
  /** The value that was checked: lets each line quote the offending value. */
  input?: unknown;
}

const MAX_VALUE_CHARS = 80;

/** A field path as written in the messages: `messages[0].role`, or `(root)`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/** A value as quoted in a message: JSON, shortened to about 80 characters. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function lookup(input: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in (value as object))) {
      return { found: false, value: undefined };
    }
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value };
}

/**
 * One line per issue: `<file>: <what>: field <path>: <message> (got <value>)`. The value comes
 * from the issue (zod's `reportInput`) or from `context.input`; a field absent from the input
 * reads `(missing)`. Unknown keys get one line each.
 */
export function formatSchemaError(
  error: SchemaErrorLike | z.ZodError,
  context: SchemaErrorContext = {},
): string {
  const prefix = [context.file, context.what].filter((p) => p !== undefined && p !== '').join(': ');
  const lines: string[] = [];
  for (const issue of (error as SchemaErrorLike).issues) {
    if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const got =
          context.input === undefined ? '' : ` (got ${formatValue(lookup(context.input, path).value)})`;
        lines.push(`field ${formatFieldPath(path)}: unknown key${got}`);
      }
      continue;
    }
    let got = '';
    if ('input' in issue && issue.input !== undefined) got = ` (got ${formatValue(issue.input)})`;
    else if (context.input !== undefined) {
      const { found, value } = lookup(context.input, issue.path);
      got = found ? ` (got ${formatValue(value)})` : ' (missing)';
    }
    lines.push(`field ${formatFieldPath(issue.path)}: ${issue.message}${got}`);
  }
  if (lines.length === 0) lines.push('invalid value');
  return lines.map((line) => (prefix ? `${prefix}: ${line}` : line)).join('\n');
}

/** An error whose message is {@link formatSchemaError}'s; `issues` keeps zod's list. */
export class SchemaError extends Error {
  readonly issues: readonly SchemaIssueLike[];
  constructor(error: SchemaErrorLike | z.ZodError, context: SchemaErrorContext = {}) {
    super(formatSchemaError(error, context), { cause: error });
    this.name = 'SchemaError';
    this.issues = (error as SchemaErrorLike).issues;
  }
}

/** Validate `input` with `schema`; on failure throw a {@link SchemaError} naming file and fields. */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  input: unknown,
  context: Omit<SchemaErrorContext, 'input'> = {},
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new SchemaError(result.error, { ...context, input });
}
