import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { formatSchemaError } from '@hydralora/common';
import type { z } from 'zod';

/** Reads a text file, gunzipping it when its name ends in `.gz`. */
export async function readTextFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw new Error(`${file} is not valid gzip: ${(error as Error).message}`);
    }
  }
  return bytes.toString('utf8');
}

/**
 * Parses a JSON Lines file (optionally gzipped): one JSON object per non-blank line, each validated
 * by `schema`. Errors name the file, the line and the field.
 */
export async function readJsonl<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>[]> {
  const text = await readTextFile(file);
  const rows: z.infer<S>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new Error(`${file}:${i + 1}: malformed JSON (${(error as Error).message})`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new Error(formatSchemaError(parsed.error, { file: `${file}:${i + 1}`, input: value }));
    rows.push(parsed.data);
  }
  return rows;
}

/**
 * The benchmark data folder: `explicit` when given, else env `HYDRALORA_DATA_DIR`, else
 * `../shared/data` relative to `repoRoot` when it exists. Returns undefined when none is found.
 */
export function resolveDataDir(explicit?: string, repoRoot = process.cwd()): string | undefined {
  if (explicit) return path.resolve(explicit);
  const env = process.env.HYDRALORA_DATA_DIR;
  if (env) return path.resolve(env);
  const fallback = path.resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(fallback) ? fallback : undefined;
}

/** `dir/name` when `dir` holds a folder `name` (the layout of the shared data), else `dir`. */
export function taskFolder(dir: string, name: string): string {
  const inner = path.join(dir, name);
  return existsSync(inner) && statSync(inner).isDirectory() ? inner : dir;
}
