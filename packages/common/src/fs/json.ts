/** Reading JSON files with errors that name the file, the line and column, or the field. */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { z } from 'zod';
import { parseWithSchema } from '../schema/format-error.js';
import { FileError } from './io-error.js';

/** 1-based line and column of character `index` in `text`. */
export function lineColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: index - start + 1 };
}

/**
 * `JSON.parse`, with a syntax error rewritten as `<file>: invalid JSON at line L column C: …`
 * (a leading byte-order mark is ignored).
 */
export function parseJsonText(text: string, file = 'JSON'): unknown {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const index = position ? Number(position[1]) : source.length;
    const { line, column } = lineColumn(source, index);
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new Error(`${file}: invalid JSON at line ${line} column ${column}: ${reason}`, { cause: error });
  }
}

function readFailure(file: string, error: unknown): Error {
  if ((error as { code?: string }).code === 'ENOENT') return new FileError(file, 'file not found', error);
  if ((error as { code?: string }).code === 'EISDIR')
    return new FileError(file, 'is a folder, not a file', error);
  return new FileError(file, 'cannot read the file', error);
}

/** Read and parse a JSON file, validated by `schema` when given. Every error names the file. */
export async function readJsonFile<S extends z.ZodType = z.ZodUnknown>(
  file: string,
  schema?: S,
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    throw readFailure(file, error);
  }
  const value = parseJsonText(text, file);
  return schema ? parseWithSchema(schema, value, { file }) : (value as z.output<S>);
}

/** Synchronous {@link readJsonFile}. */
export function readJsonFileSync<S extends z.ZodType = z.ZodUnknown>(file: string, schema?: S): z.output<S> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw readFailure(file, error);
  }
  const value = parseJsonText(text, file);
  return schema ? parseWithSchema(schema, value, { file }) : (value as z.output<S>);
}
