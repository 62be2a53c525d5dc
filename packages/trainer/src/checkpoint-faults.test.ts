/**
 * Fault injection: `node:fs` is mocked so that a write fails the way a full disk or a crash makes
 * it fail. The previous checkpoint and `latest` must survive, the error must name the path, and
 * the next run must clean up and resume from the previous checkpoint.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeFileSync: vi.fn(fs.writeFileSync),
    renameSync: vi.fn(fs.renameSync),
    appendFileSync: vi.fn(fs.appendFileSync),
  };
});

const fs = await import('node:fs');
const realFs = await vi.importActual<typeof import('node:fs')>('node:fs');
const { loadCheckpoint, prepareRunDir } = await import('./checkpoint.js');
const { MetricsLog } = await import('./metrics.js');
const { deadPid } = await import('./__fixtures__/dead-pid.js');
const { checkpointParams } = await import('./__fixtures__/checkpoint-params.js');

const { params, optimizer, save } = checkpointParams();
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('checkpoint writes under failure', () => {
  it('a full disk while writing state.json: the error names the path, the previous checkpoint and latest survive, the next run cleans up and resumes', () => {
    const dir = realFs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-fault-'));
    save(dir, 5);
    const latest = path.join(dir, 'checkpoints', 'latest');
    const stateFile = (p: unknown) => String(p).endsWith('state.json');
    vi.mocked(fs.writeFileSync).mockImplementation((file, data, options) => {
      if (stateFile(file)) throw enospc();
      realFs.writeFileSync(file, data, options);
    });
    const tmpState = path.join(dir, 'checkpoints', `.step-000010.tmp-${process.pid}`, 'state.json');
    expect(() => save(dir, 10)).toThrow(
      `${tmpState}: cannot write (ENOSPC): ENOSPC: no space left on device`,
    );
    vi.mocked(fs.writeFileSync).mockImplementation(realFs.writeFileSync);
    expect(realFs.readFileSync(latest, 'utf8').trim()).toBe('step-000005');
    expect(realFs.existsSync(path.join(dir, 'checkpoints', 'step-000010'))).toBe(false);
    // The interrupted write's temporary folder is left behind, as a crash would leave it (the
    // crashed process is simulated by a dead pid in its name) …
    expect(realFs.existsSync(path.dirname(tmpState))).toBe(true);
    const crashed = path.join(dir, 'checkpoints', `.step-000010.tmp-${deadPid()}`);
    realFs.renameSync(path.dirname(tmpState), crashed);
    // … and removed when the next run starts; it resumes from step 5.
    const { checkpoint } = prepareRunDir(dir, { resume: true });
    expect(checkpoint).toBe(path.join(dir, 'checkpoints', 'step-000005'));
    expect(realFs.existsSync(crashed)).toBe(false);
    expect(loadCheckpoint(checkpoint!, params(), optimizer()).step).toBe(5);
  });

  it('a crash between writing the checkpoint and moving latest leaves latest on the previous one', () => {
    const dir = realFs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-fault-'));
    save(dir, 5);
    const latest = path.join(dir, 'checkpoints', 'latest');
    // The rename of the checkpoint folder succeeds, the rename of latest.tmp fails.
    vi.mocked(fs.renameSync).mockImplementation((from, to) => {
      if (to === latest) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      realFs.renameSync(from, to);
    });
    expect(() => save(dir, 10)).toThrow(`${latest}: cannot write the file (EIO): EIO: i/o error, rename`);
    vi.mocked(fs.renameSync).mockImplementation(realFs.renameSync);
    expect(realFs.readFileSync(latest, 'utf8').trim()).toBe('step-000005');
    expect(realFs.readdirSync(path.dirname(latest)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    expect(prepareRunDir(dir, { resume: true }).checkpoint).toBe(
      path.join(dir, 'checkpoints', 'step-000005'),
    );
  });

  it('metrics: an append error names the file; a partial last line (killed mid-append) is dropped on read', () => {
    const dir = realFs.mkdtempSync(path.join(os.tmpdir(), 'metrics-fault-'));
    const log = new MetricsLog(path.join(dir, 'metrics.jsonl'));
    log.write({ event: 'step', step: 1 });
    vi.mocked(fs.appendFileSync).mockImplementationOnce(() => {
      throw enospc();
    });
    expect(() => log.write({ event: 'step', step: 2 })).toThrow(
      `${path.join(dir, 'metrics.jsonl')}: cannot append (ENOSPC)`,
    );
    realFs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"event":"step","st');
    expect(log.read().map((r) => r.step)).toEqual([1]);
  });
});
