import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { HumanEvalProblem } from './load.js';

/** Options of {@link executeCompletion}. */
export interface ExecutionOptions {
  /** Wall-clock limit per program in ms (default 3000, as OpenAI's harness). */
  timeoutMs?: number;
  /** The Python interpreter (default: the real executable behind `python3` on PATH). */
  python?: string;
  /** stdout + stderr bytes after which the program is killed (default 1 MiB). */
  maxOutputBytes?: number;
}

/** The outcome of one program. */
export interface ExecutionResult {
  passed: boolean;
  /** `passed`, `timed out`, `output limit exceeded`, `failed: <last stderr line>` or `failed: exit code N`. */
  reason: string;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
}

const MARKER = 'HYDRALORA-CHECK-COMPLETED';

/**
 * The program OpenAI's harness runs (`prompt + completion + "\n" + test + "\n" + check(entry_point)`),
 * followed by a line that writes a marker to file descriptor 3: a program that exits early with
 * status 0 (`exit()`, `os._exit(0)`) never reaches it and does not pass.
 */
export function buildProgram(problem: HumanEvalProblem, completion: string): string {
  return (
    `${problem.prompt}${completion}\n${problem.test}\ncheck(${problem.entry_point})\n` +
    `import os as __hydralora_os\n__hydralora_os.write(3, b"${MARKER}")\n`
  );
}

const pythonCache = new Map<string, string>();

/**
 * Resolves `command` (default `python3`) to the interpreter's real path once, with the full
 * environment (so version-manager shims work), so programs can then run with an empty environment.
 */
export function resolvePython(command = 'python3'): string {
  const cached = pythonCache.get(command);
  if (cached) return cached;
  const probe = spawnSync(command, ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  const resolved = probe.stdout?.trim();
  if (probe.status !== 0 || !resolved) {
    throw new Error(
      `HumanEval execution needs Python: "${command}" did not run (${probe.error?.message ?? probe.stderr})`,
    );
  }
  pythonCache.set(command, resolved);
  return resolved;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/**
 * Runs one completion against the problem's tests in a separate `python3 -I` process: its own
 * process group (killed as a whole on timeout and after exit), a fresh temporary directory as cwd
 * (removed afterwards), an environment holding only PATH and LANG, stdin closed, output capped.
 * This contains accidents (infinite loops, `exit()`, stray files); it is not a security sandbox.
 */
export async function executeCompletion(
  problem: HumanEvalProblem,
  completion: string,
  options: ExecutionOptions = {},
): Promise<ExecutionResult> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxOutput = options.maxOutputBytes ?? 1 << 20;
  const python = options.python ?? resolvePython();
  const dir = await mkdtemp(path.join(tmpdir(), 'hydralora-humaneval-'));
  const started = Date.now();
  try {
    await writeFile(path.join(dir, 'program.py'), buildProgram(problem, completion));
    return await new Promise<ExecutionResult>((resolve, reject) => {
      const child = spawn(python, ['-I', '-B', 'program.py'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8' },
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        detached: true,
      });
      let outputBytes = 0;
      let stderrTail = '';
      let marker = '';
      let limit: 'timed out' | 'output limit exceeded' | undefined;
      const timer = setTimeout(() => {
        limit = 'timed out';
        killGroup(child.pid);
      }, timeoutMs);
      const count = (chunk: Buffer) => {
        outputBytes += chunk.length;
        if (outputBytes > maxOutput && !limit) {
          limit = 'output limit exceeded';
          killGroup(child.pid);
        }
      };
      child.stdout?.on('data', count);
      child.stderr?.on('data', (chunk: Buffer) => {
        count(chunk);
        stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
      });
      (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
        marker = (marker + chunk.toString('utf8')).slice(0, 64);
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${python}: ${error.message}`));
      });
      // kill leftovers (background children) as soon as the main process ends, so the pipes close
      child.on('exit', () => killGroup(child.pid));
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        const durationMs = Date.now() - started;
        const passed = !limit && exitCode === 0 && marker === MARKER;
        let reason = 'passed';
        if (limit) reason = limit;
        else if (!passed) {
          const last = stderrTail.trim().split('\n').pop()?.trim();
          if (exitCode === 0) reason = 'failed: exited before the checks completed (exit code 0)';
          else if (last) reason = `failed: ${last}`;
          else reason = signal ? `failed: killed by ${signal}` : `failed: exit code ${exitCode}`;
        }
        resolve({ passed, reason, exitCode, signal, durationMs });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
