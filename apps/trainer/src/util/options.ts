/**
 * Flag parsing shared by every command, with one message shape for a bad command line:
 * `error: --model is required (a Hugging Face model folder)` and
 * `error: --r expects an integer ≥ 1, got 'x'`.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from './errors.js';

/** A commander parser for an integer flag (optionally ≥ min), with an error naming the flag and value. */
export function intOption(flag: string, min?: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || (min !== undefined && n < min))
      throw new InvalidArgumentError(
        `${flag} expects an integer${min !== undefined ? ` ≥ ${min}` : ''}, got '${value}'`,
      );
    return n;
  };
}

/** A commander parser for a numeric flag. */
export function numberOption(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`${flag} expects a number, got '${value}'`);
    return n;
  };
}

/** The flags the user gave (command line or environment), without commander's defaults. */
export function flagValues(cmd: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(cmd.opts())) {
    const source = cmd.getOptionValueSource(key);
    if (source !== 'default' && source !== undefined) out[key] = value;
  }
  return out;
}

/** Throw the standard message for a missing flag. */
export function requireFlag(_cmd: Command, value: unknown, flag: string, what: string): void {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required (${what})`);
}

const kebab = (s: string) => s.replace(/_/g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A config error caused by a flag ("command line: field 'adapter.lora_alpha' = -1: …") as the
 * standard usage message (`--lora-alpha expects …, got '-1'`); other errors are returned as they are.
 */
export function commandLineError(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  const m = /^command line: field '([\w.]+)' = (.*?): (.*)$/s.exec(message);
  if (!m) return error instanceof Error ? error : new Error(message);
  const field = m[1]!.replace(/^adapter\.(router_aux\.)?/, '');
  const problem = m[3]!
    .replace(/^Too (small|big): expected (\w+) to be /, 'expects a $2 ')
    .replace(/^Invalid input: /, '');
  return new UsageError(`--${kebab(field)} ${problem}, got '${m[2]!.replace(/^"|"$/g, '')}'`);
}

/**
 * Rewrite commander's own messages into the standard shape: a missing required option names what
 * it is (its help text); an invalid argument keeps only the parser's message, which names the
 * flag and the value.
 */
export function standardizeErrors(program: Command): void {
  for (const command of [program, ...program.commands]) standardizeCommandErrors(command);
}

function standardizeCommandErrors(command: Command): void {
  const describe = (flag: string): string | undefined =>
    command.options.find((o) => o.long === flag)?.description;
  command.configureOutput({
    outputError: (text, write) => {
      const missing = /^error: required option '(--[\w-]+)[^']*' not specified/.exec(text);
      if (missing) {
        const what = describe(missing[1]!);
        write(`error: ${missing[1]} is required${what ? ` (${what})` : ''}\n`);
        return;
      }
      const invalid = /^error: option '[^']*' argument '[^']*' is invalid\. (.*)$/s.exec(text);
      if (invalid) {
        write(`error: ${invalid[1]!.trim()}\n`);
        return;
      }
      write(text);
    },
  });
}
