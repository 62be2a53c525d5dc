/**
 * Atomic file writes: the data goes to a temporary sibling `.<name>.tmp-<pid>-<random>`, is
 * flushed to disk (fsync), then renamed over the target, so a reader (or a process restarted
 * after a crash) sees either the old file or the new one, never half of one. The temporary file
 * lives in the same folder because a rename is only atomic within one file system.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileError } from './io-error.js';

/** Marker between a file's name and the writer's pid in temporary names. */
export const TEMP_MARKER = '.tmp-';

/** The temporary sibling used while writing `path`: `.<name>.tmp-<pid>-<random>`. */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

/** Write `data` to `path` atomically (parent folders are created). Errors name the path and errno. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  let handle: fsp.FileHandle | undefined;
  try {
    await fsp.mkdir(dirname(path), { recursive: true });
    handle = await fsp.open(temp, 'w');
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fsp.rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => {});
    await fsp.rm(temp, { force: true }).catch(() => {});
    throw new FileError(path, 'cannot write the file', error);
  }
}

/** Synchronous {@link writeFileAtomic}. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  writeChunksAtomicSync(path, [data]);
}

/**
 * Write several chunks one after the other into `path`, atomically. `chunks` may be a lazy
 * iterable, so a large file (a checkpoint) never has to sit in memory as one buffer.
 */
export function writeChunksAtomicSync(path: string, chunks: Iterable<string | Uint8Array>): void {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fs.mkdirSync(dirname(path), { recursive: true });
    fd = fs.openSync(temp, 'w');
    for (const chunk of chunks) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let done = 0;
      while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {}
    }
    fs.rmSync(temp, { force: true });
    throw new FileError(path, 'cannot write the file', error);
  }
}

/** Write `value` as pretty JSON (2-space indent) plus a final newline, atomically. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Synchronous {@link writeJsonAtomic}. */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

const TEMP_NAME = /^\.(.+)\.tmp-(\d+)(?:-[0-9A-Za-z]*)?$/;

/**
 * Delete what interrupted atomic writes left in `dir`: entries named `.<name>.tmp-<pid>[-…]`
 * (files, or folders written the same way), optionally only those of `baseName`. Entries whose
 * writer process is still alive are kept, since that write may be in progress. Returns the paths
 * removed. A missing `dir` removes nothing.
 */
export function removeStaleTempFiles(dir: string, baseName?: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw new FileError(dir, 'cannot list the folder', error);
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (!match || (baseName !== undefined && match[1] !== baseName)) continue;
    if (isAlive(Number(match[2]))) continue;
    const full = join(dir, name);
    try {
      fs.rmSync(full, { recursive: true, force: true });
    } catch (error) {
      throw new FileError(full, 'cannot remove a stale temporary file', error);
    }
    removed.push(full);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
