import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { formatSchemaError, parseJsonText } from '@hydralora/common';
import { z } from 'zod';
import { readTextFile } from '../util/files.js';

/** One BBH task: its examples and its 3-shot chain-of-thought prompt. */
export interface BbhTask {
  name: string;
  examples: { input: string; target: string }[];
  /** The CoT prompt without its canary header: task description, then the `Q:`/`A:` shots. */
  cotPrompt: string;
}

const TaskFile = z.object({
  examples: z.array(z.object({ input: z.string(), target: z.string() })).min(1),
});

/**
 * Removes the header of an official `cot-prompts/<task>.txt`: the canary line and the `-----`
 * separator (the official code splits on that line and keeps what follows: the one-line task
 * description and the shots). Files without a separator are returned trimmed.
 */
export function stripCotHeader(text: string, file = 'cot prompt'): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const separator = lines.findIndex((line) => line.trim() === '-----');
  const body = (separator === -1 ? lines : lines.slice(separator + 1)).join('\n').trim();
  if (!body.includes('Q:')) throw new Error(`${file}: no "Q:" shot found`);
  return body;
}

/** The number of shots (`Q:` at the start of a line) in a CoT prompt. */
export function countShots(cotPrompt: string): number {
  return cotPrompt.split('\n').filter((line) => line.startsWith('Q:')).length;
}

/** Loads one task: `dir/<name>.json` and `dir/cot-prompts/<name>.txt`. */
export async function loadBbhTask(dir: string, name: string): Promise<BbhTask> {
  const file = path.join(dir, `${name}.json`);
  const json = parseJsonText(await readTextFile(file), file);
  const parsed = TaskFile.safeParse(json);
  if (!parsed.success) throw new Error(formatSchemaError(parsed.error, { file, input: json }));
  const promptFile = path.join(dir, 'cot-prompts', `${name}.txt`);
  return {
    name,
    examples: parsed.data.examples,
    cotPrompt: stripCotHeader(await readTextFile(promptFile), promptFile),
  };
}

/** Loads every `<task>.json` of `dir` (27 in the official release), in alphabetical order. */
export async function loadBbh(dir: string, tasks?: readonly string[]): Promise<BbhTask[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  } catch (error) {
    throw new Error(`cannot read the BBH folder ${dir}: ${(error as Error).message}`);
  }
  const chosen = tasks ? [...tasks] : names;
  for (const t of chosen)
    if (!names.includes(t)) throw new Error(`BBH task "${t}" has no file ${t}.json in ${dir}`);
  return Promise.all(chosen.sort().map((t) => loadBbhTask(dir, t)));
}
