/** Metrics as JSON lines, appended and flushed per line so that a killed run keeps what it logged. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '@hydralora/common';
import { withPath } from './checkpoint.js';

export class MetricsLog {
  constructor(readonly file: string) {
    const dir = path.dirname(file);
    withPath(dir, 'create', () => mkdirSync(dir, { recursive: true }));
  }

  write(record: Record<string, unknown>): void {
    withPath(this.file, 'append', () =>
      appendFileSync(this.file, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`),
    );
  }

  /** Records already in the file (a resumed run keeps those up to its checkpoint's step). */
  read(): Record<string, unknown>[] {
    if (!existsSync(this.file)) return [];
    const text = withPath(this.file, 'read', () => readFileSync(this.file, 'utf8'));
    const lines = text.split('\n');
    // A run killed mid-append leaves a partial last line without its newline: it is dropped.
    lines.pop();
    return lines
      .filter((l) => l.trim() !== '')
      .map((l, i) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch (error) {
          throw new Error(`${this.file} line ${i + 1}: invalid JSON: ${(error as Error).message}`);
        }
      });
  }

  /** Replace the file's records (atomically). */
  replace(records: Record<string, unknown>[]): void {
    writeFileAtomicSync(this.file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
