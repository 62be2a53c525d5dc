import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

/** How a file becomes documents. */
export interface CorpusOptions {
  /**
   * Fields joined (with one space) into a document, for JSON / JSONL rows that are objects.
   * Default `['instruction', 'input', 'output']`. A row that lacks one throws, naming the row.
   */
  fields?: readonly string[];
  /** Force the format instead of guessing it from the extension (.json, .jsonl/.ndjson, .txt). */
  format?: 'json' | 'jsonl' | 'text';
}

/** Default fields of instruction data. */
export const DEFAULT_FIELDS: readonly string[] = ['instruction', 'input', 'output'];

/** Decodes UTF-8 strictly; invalid bytes throw naming the file, byte offset and line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the first offending byte: the shortest prefix that a streaming decoder rejects.
    let low = 1;
    let high = bytes.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        low = mid + 1;
      } catch {
        high = mid;
      }
    }
    let line = 1;
    for (let i = 0; i < low - 1; i++) if (bytes[i] === 0x0a) line++;
    throw new Error(`${file}: not valid UTF-8 (bad byte near offset ${low - 1}, line ${line})`);
  }
}

function rowText(row: unknown, fields: readonly string[], where: string): string {
  if (typeof row === 'string') return row;
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new Error(
      `${where}: expected an object with fields ${fields.join(', ')}, got ${JSON.stringify(row)}`,
    );
  }
  const record = row as Record<string, unknown>;
  const parts: string[] = [];
  for (const field of fields) {
    const value = record[field];
    if (value === undefined || value === null) throw new Error(`${where}: missing field "${field}"`);
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(`${where}: field "${field}" is ${JSON.stringify(value)}, expected text`);
    }
    parts.push(String(value));
  }
  return parts.join(' ');
}

function formatOf(file: string, options: CorpusOptions): 'json' | 'jsonl' | 'text' {
  if (options.format) return options.format;
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.txt' || ext === '.text') return 'text';
  throw new Error(
    `${file}: unknown extension "${ext}": expected .json, .jsonl, .ndjson or .txt (or set format)`,
  );
}

/** Documents of a file's contents (already read): one per JSON row, JSONL line, or non-blank text line. */
export function parseCorpus(bytes: Uint8Array, file: string, options: CorpusOptions = {}): string[] {
  const fields = options.fields ?? DEFAULT_FIELDS;
  if (fields.length === 0) throw new Error(`${file}: fields is empty: name at least one field`);
  const text = decodeUtf8(bytes, file);
  const format = formatOf(file, options);
  let texts: string[];
  if (format === 'text') {
    texts = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  } else if (format === 'jsonl') {
    texts = [];
    text.split('\n').forEach((line, index) => {
      if (line.trim() === '') return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (error) {
        throw new Error(`${file}: line ${index + 1} is not valid JSON (${(error as Error).message})`);
      }
      texts.push(rowText(row, fields, `${file}: line ${index + 1}`));
    });
  } else {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(data)) throw new Error(`${file}: expected a JSON array of rows, got ${typeof data}`);
    texts = data.map((row, index) => rowText(row, fields, `${file}: row ${index}`));
  }
  if (texts.length === 0) throw new Error(`${file}: the corpus is empty (no documents)`);
  return texts;
}

/** Reads and parses a corpus file (see {@link parseCorpus}). */
export async function loadCorpus(file: string, options: CorpusOptions = {}): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseCorpus(bytes, file, options);
}
