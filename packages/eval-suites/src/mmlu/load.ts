import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readTextFile } from '../util/files.js';

/** The four answer letters of MMLU. */
export const MMLU_CHOICES = ['A', 'B', 'C', 'D'] as const;
/** One answer letter. */
export type MmluLetter = (typeof MMLU_CHOICES)[number];

/** One MMLU question. */
export interface MmluQuestion {
  subject: string;
  question: string;
  /** The four options, in the order A, B, C, D. */
  choices: [string, string, string, string];
  answer: MmluLetter;
}

/**
 * Parses one official MMLU CSV (headerless `question,A,B,C,D,answer`; quoted fields may span
 * lines). Errors name the file and the (first) line of the bad record.
 */
export function parseMmluCsv(text: string, subject: string, file: string): MmluQuestion[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (error) {
    const lines = (error as { lines?: number }).lines;
    throw new Error(`${file}${lines ? `:${lines}` : ''}: malformed CSV (${(error as Error).message})`);
  }
  const out: MmluQuestion[] = [];
  let previousEnd = 0;
  for (const { record, info } of records) {
    const line = previousEnd + 1;
    previousEnd = info.lines;
    if (record.length !== 6) {
      throw new Error(`${file}:${line}: expected 6 fields (question,A,B,C,D,answer), got ${record.length}`);
    }
    const [question, a, b, c, d, answer] = record as [string, string, string, string, string, string];
    const letter = answer.trim();
    if (!(MMLU_CHOICES as readonly string[]).includes(letter)) {
      throw new Error(
        `${file}:${line}: field "answer" must be one of A, B, C, D, got ${JSON.stringify(answer)}`,
      );
    }
    if (question.trim() === '') throw new Error(`${file}:${line}: field "question" is empty`);
    out.push({ subject, question, choices: [a, b, c, d], answer: letter as MmluLetter });
  }
  return out;
}

/** One MMLU CSV file (UTF-8); a file without questions is an error naming it. */
async function readMmluCsv(file: string, subject: string): Promise<MmluQuestion[]> {
  const questions = parseMmluCsv(await readTextFile(file), subject, file);
  if (questions.length === 0) throw new Error(`${file}: no MMLU questions (the file is empty)`);
  return questions;
}

/** MMLU split files of a folder, by subject (`<subject>_<split>.csv`). */
async function subjectFiles(dir: string, split: 'dev' | 'test'): Promise<Map<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new Error(`cannot read the MMLU ${split} folder ${dir}: ${(error as Error).message}`);
  }
  const suffix = `_${split}.csv`;
  const files = new Map<string, string>();
  for (const name of names.sort()) {
    if (name.endsWith(suffix)) files.set(name.slice(0, -suffix.length), path.join(dir, name));
  }
  return files;
}

/** The MMLU data of a folder holding `dev/` and `test/` (the official layout). */
export interface MmluData {
  /** Subjects in alphabetical order. */
  subjects: string[];
  dev: Map<string, MmluQuestion[]>;
  test: Map<string, MmluQuestion[]>;
}

/**
 * Loads the official layout: `dir/dev/<subject>_dev.csv` and `dir/test/<subject>_test.csv`.
 * `subjects` restricts the load; an unknown subject throws.
 */
export async function loadMmlu(dir: string, subjects?: readonly string[]): Promise<MmluData> {
  const testFiles = await subjectFiles(path.join(dir, 'test'), 'test');
  const devFiles = await subjectFiles(path.join(dir, 'dev'), 'dev');
  if (testFiles.size === 0) throw new Error(`no <subject>_test.csv files in ${path.join(dir, 'test')}`);
  const wanted = subjects ? [...subjects] : [...testFiles.keys()];
  const data: MmluData = { subjects: [], dev: new Map(), test: new Map() };
  for (const subject of wanted.sort()) {
    const testFile = testFiles.get(subject);
    if (!testFile)
      throw new Error(`MMLU subject "${subject}" has no file ${subject}_test.csv in ${dir}/test`);
    data.subjects.push(subject);
    data.test.set(subject, await readMmluCsv(testFile, subject));
    const devFile = devFiles.get(subject);
    data.dev.set(subject, devFile ? await readMmluCsv(devFile, subject) : []);
  }
  return data;
}
