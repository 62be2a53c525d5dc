import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  removeStaleTempFiles,
  tempPathFor,
  writeChunksAtomicSync,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
} from './atomic.js';
import { FileError } from './io-error.js';

const fresh = () => fs.mkdtempSync(join(tmpdir(), 'common-atomic-'));

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout as unknown as number;
}

describe('atomic writes', () => {
  it('write, replace and leave no temporary file; parents are created', async () => {
    const dir = fresh();
    const file = join(dir, 'sub', 'a.json');
    await writeJsonAtomic(file, { b: [1, 2] });
    expect(fs.readFileSync(file, 'utf8')).toBe('{\n  "b": [\n    1,\n    2\n  ]\n}\n');
    writeFileAtomicSync(file, new Uint8Array([104, 105]));
    expect(fs.readFileSync(file, 'utf8')).toBe('hi');
    writeChunksAtomicSync(file, ['x', new Uint8Array([121]), 'z']);
    expect(fs.readFileSync(file, 'utf8')).toBe('xyz');
    await writeFileAtomic(file, 'done');
    expect(fs.readdirSync(join(dir, 'sub'))).toEqual(['a.json']);
  });

  it('names the temporary file .<name>.tmp-<pid>-<random> beside the target', () => {
    const temp = tempPathFor('/data/run/state.json');
    expect(temp).toMatch(new RegExp(`^/data/run/\\.state\\.json\\.tmp-${process.pid}-[0-9a-f]{8}$`));
  });

  it('on failure keeps the old file, removes the temporary and names the path and errno', async () => {
    const dir = fresh();
    const file = join(dir, 'a.txt');
    fs.writeFileSync(file, 'old');
    const failing = (function* () {
      yield 'new data';
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    })();
    let error: unknown;
    try {
      writeChunksAtomicSync(file, failing);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileError);
    expect((error as FileError).code).toBe('ENOSPC');
    expect((error as Error).message).toBe(`${file}: cannot write the file (ENOSPC): no space left on device`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(fs.readdirSync(dir)).toEqual(['a.txt']);
    // a folder where the file should go: the rename fails, the error says so
    const target = join(dir, 'folder');
    fs.mkdirSync(target);
    fs.writeFileSync(join(target, 'x'), '');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(
      new RegExp(`^${target}: cannot write the file \\((EISDIR|ENOTEMPTY|EEXIST)\\)`),
    );
    expect(fs.readdirSync(dir).sort()).toEqual(['a.txt', 'folder']);
  });

  it('removeStaleTempFiles deletes leftovers of dead writers only, optionally of one name', () => {
    const dir = fresh();
    const dead = deadPid();
    const names = [
      `.state.json.tmp-${dead}-ab12`,
      `.latest.tmp-${dead}-cd34`,
      `.step-4.tmp-${dead}`,
      `.state.json.tmp-${process.pid}-ef56`,
      'state.json',
      '.hidden',
      'x.tmp-1-2',
    ];
    for (const name of names) fs.writeFileSync(join(dir, name), '');
    fs.mkdirSync(join(dir, `.step-5.tmp-${dead}-aa`));
    fs.writeFileSync(join(dir, `.step-5.tmp-${dead}-aa`, 'adapter.safetensors'), '');
    expect(removeStaleTempFiles(dir, 'latest')).toEqual([join(dir, `.latest.tmp-${dead}-cd34`)]);
    expect(removeStaleTempFiles(dir).sort()).toEqual(
      [`.state.json.tmp-${dead}-ab12`, `.step-4.tmp-${dead}`, `.step-5.tmp-${dead}-aa`]
        .map((n) => join(dir, n))
        .sort(),
    );
    expect(fs.readdirSync(dir).sort()).toEqual([
      '.hidden',
      `.state.json.tmp-${process.pid}-ef56`,
      'state.json',
      'x.tmp-1-2',
    ]);
    expect(removeStaleTempFiles(join(dir, 'missing'))).toEqual([]);
  });
});
