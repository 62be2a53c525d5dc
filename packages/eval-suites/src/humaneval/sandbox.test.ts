// One test per escape that the issue found in the unsandboxed runner, plus the resource limits and
// the refusal without bubblewrap. Each program is a HumanEval completion of `add(a, b)`; code after
// the function body runs at module level, before `check(add)`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../testing/data.js';
import { scoreSamples } from './evaluate.js';
import { type ExecutionOptions, executeCompletion, resolvePython } from './execute.js';
import { type HumanEvalProblem, loadHumanEval } from './load.js';

let problems: HumanEvalProblem[];
let scratch: string;
const run = (completion: string, options: ExecutionOptions = {}) =>
  executeCompletion(problems[0]!, completion, options);
const RIGHT = '    return a + b\n';
const WRONG = '    return a - b\n';
const OLD_MARKER = 'HYDRALORA-CHECK-COMPLETED';

/** Command lines of every process on the machine that contain `marker` (what `ps -eo args` shows). */
function processesWith(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (args.includes(marker)) found.push(`${pid} ${args}`);
    } catch {
      // the process ended meanwhile
    }
  }
  return found;
}

async function noneLeft(marker: string): Promise<string[]> {
  // the kernel needs a moment to tear a PID namespace down
  for (let i = 0; i < 20 && processesWith(marker).length > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  return processesWith(marker);
}

beforeAll(async () => {
  problems = await loadHumanEval(path.join(FIXTURES, 'humaneval', 'problems.jsonl'));
  scratch = await mkdtemp(path.join(tmpdir(), 'eval-suites-sandbox-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('the sandbox contains what escaped before', () => {
  it('writes outside its temp folder do not reach the host', async () => {
    const hostFile = path.join(scratch, 'escape.txt');
    const name = `hydralora-escape-${randomBytes(6).toString('hex')}`;
    const targets = [hostFile, `/tmp/${name}`, `/usr/${name}`, `/etc/${name}`];
    const body =
      RIGHT +
      'import os\nwritten = []\n' +
      `for target in ${JSON.stringify(targets)}:\n` +
      '    try:\n        open(target, "w").write("x")\n        written.append(target)\n    except OSError:\n        pass\n' +
      'print(written)\n';
    const result = await run(body);
    expect(result.passed).toBe(true);
    expect(targets.filter((t) => existsSync(t))).toEqual([]);
  });

  it("sees neither the evaluator's environment nor its /proc", async () => {
    const secret = `hunter2-${randomBytes(6).toString('hex')}`;
    process.env.HYDRALORA_TEST_SECRET = secret;
    try {
      const body =
        RIGHT +
        'import os\nread = []\n' +
        'for pid in [os.getppid(), 1] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:\n' +
        '    for name in ("environ", "cmdline"):\n' +
        '        try:\n            read.append(open(f"/proc/{pid}/{name}", "rb").read())\n' +
        '        except OSError:\n            pass\n' +
        'hits = [b for b in read if b"HYDRALORA_TEST_SECRET" in b or b"hunter2" in b]\n' +
        'raise Exception(repr([sorted(os.environ), len(read), hits]))\n';
      const result = await run(body);
      // it read its own /proc files, found the secret nowhere; its environment is what the sandbox sets
      const [, names, count, hits] =
        /^failed: Exception: \[(\[.*?\]), (\d+), (\[.*\])\]$/.exec(result.reason) ?? [];
      expect(names).toBe("['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']");
      expect(Number(count)).toBeGreaterThan(0);
      expect(hits).toBe('[]');
      expect(result.reason).not.toContain(secret);
    } finally {
      delete process.env.HYDRALORA_TEST_SECRET;
    }
  });

  it('setsid + double fork leaves no process, and one holding the pipes does not make it wait', async () => {
    const marker = `hydralora-orphan-${randomBytes(6).toString('hex')}`;
    const body =
      RIGHT +
      'import os, sys\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    if os.fork() == 0:\n' +
      `        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", ${JSON.stringify(marker)}])\n` +
      '    os._exit(0)\nos.waitpid(pid, 0)\n' +
      // the grandchild holds stdout, stderr and fd 3; make sure it runs before we return
      'import time\ntime.sleep(0.3)\n';
    // the detector sees such a process when one is alive
    const witness = spawn(resolvePython(), ['-c', 'import time; time.sleep(30)', marker]);
    await new Promise((r) => setTimeout(r, 300));
    expect(processesWith(marker)).toHaveLength(1);
    witness.kill('SIGKILL');
    expect(await noneLeft(marker)).toEqual([]);
    const result = await run(body, { timeoutMs: 10_000 });
    expect(result.passed).toBe(true);
    expect(result.durationMs).toBeLessThan(5000);
    expect(await noneLeft(marker)).toEqual([]);
  });

  it('os.kill(os.getppid(), 9) and killing every visible process end only that program', async () => {
    const killParent = `${RIGHT}import os\nos.kill(os.getppid(), 9)\n`;
    const killAll =
      RIGHT +
      // guarded: if the PID namespace were missing this would signal the whole machine
      'import os\npids = [int(p) for p in os.listdir("/proc") if p.isdigit()]\n' +
      'assert len(pids) <= 3, f"no PID namespace: {len(pids)} processes visible"\n' +
      'for p in pids:\n    try:\n        os.kill(p, 9)\n    except OSError:\n        pass\n';
    const result = await scoreSamples(
      [problems[0]!],
      [killParent, killAll, RIGHT].map((completion) => ({ task_id: 'Fix/0', completion })),
    );
    const samples = result.tasks[0]!.samples;
    // the parent is the sandbox's init: as root the per-run uid may not signal it (PermissionError);
    // in a user namespace the kernel ignores SIGKILL sent to a namespace's init from inside it
    expect(samples[0]!.reason).toMatch(/^(passed|failed: PermissionError)/);
    expect(samples[1]!.passed).toBe(false);
    expect(samples[2]!.passed).toBe(true);
    expect(result.tasks[0]!.correct).toBe(samples.filter((x) => x.passed).length);
    expect(samples.every((x) => x.durationMs < 3000)).toBe(true);
  });

  it('a marker on fd 3 (or any fd, or printed) followed by os._exit(0) does not pass', async () => {
    const body =
      WRONG +
      `import os\nprint(${JSON.stringify(OLD_MARKER)}, "passed")\n` +
      'for fd in range(1, 64):\n    try:\n' +
      `        os.write(fd, b${JSON.stringify(OLD_MARKER)})\n    except OSError:\n        pass\n` +
      'os._exit(0)\n';
    const result = await run(body);
    expect(result).toMatchObject({ passed: false, exitCode: 0 });
    expect(result.reason).toBe('failed: exited before the checks completed (exit code 0)');
  });

  it('an atexit handler that writes the marker and exits 0 after a failed check does not pass', async () => {
    const body =
      WRONG +
      'import atexit, os\ndef forge():\n' +
      `    os.write(3, b${JSON.stringify(OLD_MARKER)})\n    os._exit(0)\natexit.register(forge)\n`;
    const result = await run(body);
    expect(result).toMatchObject({ passed: false, exitCode: 1, reason: 'failed: AssertionError' });
  });

  it('a sys.excepthook that writes the marker and exits 0 does not pass', async () => {
    const body =
      WRONG +
      'import os, sys\ndef forge(*args):\n' +
      `    os.write(3, b${JSON.stringify(OLD_MARKER)})\n    os._exit(0)\nsys.excepthook = forge\n`;
    const result = await run(body);
    expect(result).toMatchObject({ passed: false, exitCode: 1, reason: 'failed: AssertionError' });
  });

  it('has no network: a server on the host loopback gets no connection', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const body =
        RIGHT +
        'import socket\ntry:\n' +
        `    socket.create_connection(("127.0.0.1", ${port}), timeout=1).sendall(b"x")\n` +
        '    reached = True\nexcept OSError:\n    reached = False\nassert not reached\n';
      const result = await run(body);
      expect(result.passed).toBe(true);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('resource limits', () => {
  it('caps processes: 200 forks stop at the limit', async () => {
    const body =
      RIGHT +
      'import os, time\nn = 0\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n' +
      '            time.sleep(5)\n            os._exit(0)\n        n += 1\nexcept OSError:\n    pass\n' +
      'raise Exception(f"forked {n}")\n';
    const result = await run(body, { maxProcesses: 16, timeoutMs: 10_000 });
    const forked = Number(/forked (\d+)/.exec(result.reason)?.[1]);
    expect(forked).toBeGreaterThan(0);
    expect(forked).toBeLessThan(16);
  });

  it('contains a fork bomb: killed at the time limit, nothing left behind', async () => {
    const marker = `hydralora-bomb-${randomBytes(6).toString('hex')}`;
    const bomb =
      'import os\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        pass';
    const body = `${RIGHT}import os, sys\nos.execv(sys.executable, [sys.executable, "-c", "${bomb}", ${JSON.stringify(marker)}])\n`;
    const result = await run(body, { timeoutMs: 2000 });
    expect(result).toMatchObject({ passed: false, reason: 'timed out' });
    expect(result.durationMs).toBeLessThan(2000 + 2000);
    expect(await noneLeft(marker)).toEqual([]);
  });

  it('caps memory', async () => {
    const memory = await run(`${RIGHT}x = bytearray(2 << 30)\n`);
    expect(memory.reason).toBe('failed: MemoryError');
    const growing = await run(`${RIGHT}x = []\nwhile True:\n    x.append(bytearray(64 << 20))\n`, {
      timeoutMs: 20_000,
    });
    expect(growing.reason).toBe('failed: MemoryError');
  });

  it('caps file size', async () => {
    const file = await run(`${RIGHT}open("big.bin", "wb").write(b"x" * (32 << 20))\n`);
    expect(file.reason).toMatch(/^failed: OSError: \[Errno 27\] File too large/);
    expect((await run(`${RIGHT}open("small.bin", "wb").write(b"x" * (1 << 20))\n`)).passed).toBe(true);
  });
});

describe('without a working bubblewrap', () => {
  it('refuses with one line naming what to install, unless unsafeNoSandbox', async () => {
    const missing = path.join(scratch, 'no-such-bwrap');
    const error = await run(RIGHT, { bwrap: missing }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(
      /^HumanEval execution needs bubblewrap, and ".*no-such-bwrap" was not found: install bubblewrap \(Debian\/Ubuntu: apt-get install bubblewrap.*--unsafe-no-sandbox/,
    );
    expect(await run(RIGHT, { bwrap: missing, unsafeNoSandbox: true })).toMatchObject({ passed: true });
    expect((await run(WRONG, { bwrap: missing, unsafeNoSandbox: true })).passed).toBe(false);
  });

  it('names the failure when bwrap cannot create namespaces', async () => {
    const fake = path.join(scratch, 'fake-bwrap');
    await writeFile(fake, '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const error = await run(RIGHT, { bwrap: fake }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /could not create one \(bwrap: No permissions to create new namespace\): allow unprivileged user namespaces/,
    );
    expect((error as Error).message).not.toContain('\n');
  });
});
