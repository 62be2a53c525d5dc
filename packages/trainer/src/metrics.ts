/** Metrics as JSON lines, appended and flushed per line so that a killed run keeps what it logged. */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class MetricsLog {
  constructor(readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
  }

  write(record: Record<string, unknown>): void {
    appendFileSync(this.file, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  }

  /** Records already in the file (a resumed run keeps those up to its checkpoint's step). */
  read(): Record<string, unknown>[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Replace the file's records (atomically). */
  replace(records: Record<string, unknown>[]): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.file);
  }
}
