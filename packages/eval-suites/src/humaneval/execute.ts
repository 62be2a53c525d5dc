import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DRIVER_SOURCE } from './driver.js';
import type { HumanEvalProblem } from './load.js';
import {
  assertSandboxWorks,
  bwrapArguments,
  type PythonInstall,
  runUid,
  SANDBOX_ENV,
  type SandboxLimits,
} from './sandbox.js';

/** Options of {@link executeCompletion}. */
export interface ExecutionOptions {
  /** Wall-clock limit per program in ms (default 3000, as OpenAI's harness). */
  timeoutMs?: number;
  /** The Python interpreter (default: the real executable behind `python3` on PATH). */
  python?: string;
  /** stdout + stderr bytes after which the program is killed (default 1 MiB). */
  maxOutputBytes?: number;
  /** Address space of the program in bytes (default 1 GiB). */
  maxMemoryBytes?: number;
  /** Processes the program may run at once, itself included (default 32; sandbox only). */
  maxProcesses?: number;
  /** Largest file the program may write, in bytes (default 16 MiB). */
  maxFileBytes?: number;
  /** The bubblewrap executable (default `bwrap` on PATH). */
  bwrap?: string;
  /**
   * Runs programs without the bubblewrap sandbox: a process group, a temporary cwd, resource limits
   * and an environment of four variables only. Generated code can then read and write your files,
   * use the network and signal your processes. Default false: without a working `bwrap`, execution
   * throws.
   */
  unsafeNoSandbox?: boolean;
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

/**
 * The program OpenAI's harness runs: `prompt + completion + "\n" + test + "\n" + check(entry_point)`.
 * The driver (see `driver.ts`) executes it and reports a pass only when it returns normally.
 */
export function buildProgram(problem: HumanEvalProblem, completion: string): string {
  return `${problem.prompt}${completion}\n${problem.test}\ncheck(${problem.entry_point})`;
}

const pythonCache = new Map<string, PythonInstall>();

function pythonInstall(command = 'python3'): PythonInstall {
  const cached = pythonCache.get(command);
  if (cached) return cached;
  const probe = spawnSync(
    command,
    ['-c', 'import json, sys; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix]))'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  let install: PythonInstall | undefined;
  try {
    const [executable, prefix, basePrefix] = JSON.parse(probe.stdout) as string[];
    if (probe.status === 0 && executable) install = { executable, prefixes: [prefix!, basePrefix!] };
  } catch {
    // reported below
  }
  if (!install) {
    throw new Error(
      `HumanEval execution needs Python: "${command}" did not run (${probe.error?.message ?? probe.stderr})`,
    );
  }
  pythonCache.set(command, install);
  return install;
}

/**
 * Resolves `command` (default `python3`) to the interpreter's real path once, with the full
 * environment (so version-manager shims work), so programs can then run with an empty environment.
 */
export function resolvePython(command = 'python3'): string {
  return pythonInstall(command).executable;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** How long to wait for the pipes after the program ended or was killed: never for orphans. */
const PIPE_GRACE_MS = 500;

function limitsOf(options: ExecutionOptions, timeoutMs: number, sandboxed: boolean): SandboxLimits {
  return {
    cpuSeconds: Math.ceil(timeoutMs / 1000) + 1,
    memoryBytes: options.maxMemoryBytes ?? 1 << 30,
    fileBytes: options.maxFileBytes ?? 16 << 20,
    ...(sandboxed ? { processes: options.maxProcesses ?? 32 } : {}),
  };
}

function driverSettings(limits: SandboxLimits, uid: number | undefined): string {
  const rlimits: Record<string, number> = {
    RLIMIT_CPU: limits.cpuSeconds,
    RLIMIT_AS: limits.memoryBytes,
    RLIMIT_FSIZE: limits.fileBytes,
    RLIMIT_CORE: 0,
  };
  if (limits.processes !== undefined) rlimits.RLIMIT_NPROC = limits.processes;
  return JSON.stringify({ uid: uid ?? null, limits: rlimits });
}

/**
 * Runs one completion against the problem's tests. By default inside a bubblewrap sandbox: own
 * PID, network, IPC, UTS and mount namespaces, read-only system folders, a private `/tmp` as cwd and
 * home, a new `/proc` that shows the sandbox only, an environment of `PATH`, `HOME`, `TMPDIR` and
 * `LANG`, hard limits on CPU time, memory, processes and file size, a per-run uid when the
 * evaluator is root. At the time limit (and as soon as the program ends) bwrap's process group is
 * killed, which ends the PID namespace and everything in it; pipes still held after that are not
 * waited for. A pass needs exit code 0 *and* the run's HMAC proof on fd 3, which only the driver
 * writes after the program returned normally. Throws a one-line error when bubblewrap is missing or
 * cannot create namespaces, unless `unsafeNoSandbox`.
 */
export async function executeCompletion(
  problem: HumanEvalProblem,
  completion: string,
  options: ExecutionOptions = {},
): Promise<ExecutionResult> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const python = pythonInstall(options.python);
  const sandboxed = !options.unsafeNoSandbox;
  const asRoot = process.getuid?.() === 0;
  const bwrap = sandboxed ? assertSandboxWorks(options.bwrap ?? 'bwrap', python, asRoot) : '';
  const limits = limitsOf(options, timeoutMs, sandboxed);
  const token = randomBytes(32);
  const proof = createHmac('sha256', token).update('hydralora-humaneval-passed').digest('hex');
  const pythonArgs = [
    '-I',
    '-B',
    '-c',
    DRIVER_SOURCE,
    driverSettings(limits, sandboxed && asRoot ? runUid() : undefined),
  ];
  const dir = sandboxed ? undefined : await mkdtemp(path.join(tmpdir(), 'hydralora-humaneval-'));
  try {
    const child = sandboxed
      ? spawn(bwrap, [...bwrapArguments(python, asRoot), '--', python.executable, ...pythonArgs], {
          env: { ...SANDBOX_ENV },
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
          detached: true,
        })
      : spawn(python.executable, pythonArgs, {
          cwd: dir,
          env: { ...SANDBOX_ENV, HOME: dir!, TMPDIR: dir! },
          stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
          detached: true,
        });
    child.stdin?.on('error', () => {}); // the program may end before reading it all
    child.stdin?.end(`${token.toString('hex')}\n${buildProgram(problem, completion)}`);
    return await collect(child, timeoutMs, options.maxOutputBytes ?? 1 << 20, proof);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Waits for the program under the time and output limits and turns what it left into a result. */
function collect(
  child: ChildProcess,
  timeoutMs: number,
  maxOutput: number,
  proof: string,
): Promise<ExecutionResult> {
  const started = Date.now();
  return new Promise<ExecutionResult>((resolve, reject) => {
    let outputBytes = 0;
    let stderrTail = '';
    let channel = '';
    let limit: 'timed out' | 'output limit exceeded' | undefined;
    let exit: { code: number | null; signal: string | null } | undefined;
    let done = false;
    let grace: NodeJS.Timeout | undefined;
    const streams = [child.stdout, child.stderr, child.stdio[3] as Readable | null];
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      for (const s of streams) s?.destroy();
      child.unref();
      const exitCode = exit?.code ?? null;
      const signal = exit?.signal ?? null;
      const passed = !limit && exitCode === 0 && channel === proof;
      let reason = 'passed';
      if (limit) reason = limit;
      else if (!passed) {
        const last = stderrTail.trim().split('\n').pop()?.trim();
        if (exitCode === 0) reason = 'failed: exited before the checks completed (exit code 0)';
        else if (last) reason = `failed: ${last}`;
        else reason = signal ? `failed: killed by ${signal}` : `failed: exit code ${exitCode}`;
      }
      resolve({ passed, reason, exitCode, signal, durationMs: Date.now() - started });
    };
    // after a kill or the end of the program, wait a little for the pipes, never for orphans
    const settle = () => {
      killGroup(child.pid);
      grace ??= setTimeout(finish, PIPE_GRACE_MS);
    };
    const timer = setTimeout(() => {
      limit = 'timed out';
      settle();
    }, timeoutMs);
    const count = (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > maxOutput && !limit) {
        limit = 'output limit exceeded';
        settle();
      }
    };
    child.stdout?.on('data', count);
    child.stderr?.on('data', (chunk: Buffer) => {
      count(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4096);
    });
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      channel = (channel + chunk.toString('latin1')).slice(0, 256);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      done = true;
      reject(new Error(`cannot run ${child.spawnfile}: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      settle();
    });
    child.on('close', finish);
  });
}
