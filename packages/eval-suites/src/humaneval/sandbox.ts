import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where a Python installation lives (what the sandbox must show read-only). */
export interface PythonInstall {
  /** The real interpreter (`sys.executable`). */
  executable: string;
  /** `sys.prefix` and `sys.base_prefix` (the standard library lives below them). */
  prefixes: string[];
}

/** Resource limits of one program. */
export interface SandboxLimits {
  /** CPU seconds (`RLIMIT_CPU`). */
  cpuSeconds: number;
  /** Address space in bytes (`RLIMIT_AS`). */
  memoryBytes: number;
  /** Processes of the run's user (`RLIMIT_NPROC`); only inside the sandbox. */
  processes?: number;
  /** Largest file it may write, in bytes (`RLIMIT_FSIZE`). */
  fileBytes: number;
}

/** The environment of a sandboxed program, and of `bwrap` itself (never the evaluator's). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
};

/** Size of the sandbox's private writable `/tmp` (its cwd and home). */
export const SANDBOX_TMP_BYTES = 64 << 20;

const ETC_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
];
const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Whether `child` is `parent` or inside it. */
function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The `bwrap` arguments (before the command) of one run. Mounts: a fresh root holding read-only
 * `/usr`, the top-level `bin`/`lib*` folders (or their symlinks), the few `/etc` files the dynamic
 * linker and Python read, the Python installation when it lives outside `/usr`; a new `/proc` (of
 * the sandbox's PID namespace only), a minimal `/dev`, and a private `/tmp` tmpfs that is the cwd and
 * home. Namespaces: all of them (PID, network, IPC, UTS, mount, cgroup where possible). When the
 * evaluator runs as root, no user namespace is made (bwrap then works as a privileged helper) and
 * the driver drops to a per-run uid; otherwise a user namespace maps the caller's own uid.
 */
export function bwrapArguments(python: PythonInstall, asRoot: boolean): string[] {
  const args = asRoot
    ? [
        '--unshare-ipc',
        '--unshare-pid',
        '--unshare-net',
        '--unshare-uts',
        '--unshare-cgroup-try',
        '--cap-drop',
        'ALL',
        '--cap-add',
        'CAP_SETUID',
        '--cap-add',
        'CAP_SETGID',
      ]
    : ['--unshare-all'];
  args.push('--die-with-parent', '--new-session', '--hostname', 'sandbox', '--ro-bind', '/usr', '/usr');
  const shown = ['/usr'];
  for (const dir of TOP_LEVEL) {
    if (!existsSync(dir)) continue;
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (stat.isDirectory()) {
      args.push('--ro-bind', dir, dir);
      shown.push(dir);
    }
  }
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);
  const made = new Set<string>();
  const pythonDirs = [...python.prefixes, path.dirname(python.executable)].map((p) => realpathSync(p));
  for (const dir of pythonDirs) {
    if (shown.some((s) => within(dir, s))) continue;
    // bwrap would give the folders above it the host's modes (/root is 0700): make them traversable
    const parts = dir.split(path.sep).filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const ancestor = `/${parts.slice(0, i).join('/')}`;
      if (!made.has(ancestor)) args.push('--perms', '0755', '--dir', ancestor);
      made.add(ancestor);
    }
    args.push('--ro-bind', dir, dir);
    shown.push(dir);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--perms', '1777', '--size', String(SANDBOX_TMP_BYTES), '--tmpfs', '/tmp', '--chdir', '/tmp');
  args.push('--clearenv');
  for (const [name, value] of Object.entries(SANDBOX_ENV)) args.push('--setenv', name, value);
  return args;
}

/** A uid nobody else uses, so that `RLIMIT_NPROC` counts this run's processes only. */
export function runUid(): number {
  return randomInt(1_900_000_000, 2_000_000_000);
}

/**
 * `command` as a path, searched in the evaluator's PATH (the sandbox's own PATH is minimal);
 * `command` itself when it holds a `/`; undefined when it is not found.
 */
export function findExecutable(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) return existsSync(command) ? command : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Installing bubblewrap, in one line. */
export const INSTALL_HINT =
  'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)';
/** How to opt out, in one line. */
export const UNSAFE_HINT =
  'or pass --unsafe-no-sandbox (library: unsafeNoSandbox: true) to run generated code without a sandbox';

const checked = new Map<string, string | undefined>();

/**
 * Finds `command` (default `bwrap`) and checks once per (bwrap, python) that the sandbox starts:
 * runs `python -c pass` in it. Returns bwrap's path. Throws a one-line error naming what to install
 * (bwrap missing) or what failed (namespaces not allowed).
 */
export function assertSandboxWorks(command: string, python: PythonInstall, asRoot: boolean): string {
  const bwrap = findExecutable(command);
  if (!bwrap) {
    throw new Error(
      `HumanEval execution needs bubblewrap, and "${command}" was not found: ${INSTALL_HINT}, ${UNSAFE_HINT}`,
    );
  }
  const key = `${bwrap}\0${python.executable}\0${asRoot}`;
  if (!checked.has(key)) {
    const probe = spawnSync(
      bwrap,
      [...bwrapArguments(python, asRoot), '--', python.executable, '-I', '-S', '-c', 'pass'],
      { env: { ...SANDBOX_ENV }, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let problem: string | undefined;
    if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      problem = `HumanEval execution needs bubblewrap, and "${bwrap}" was not found: ${INSTALL_HINT}, ${UNSAFE_HINT}`;
    } else if (probe.status !== 0) {
      const why =
        probe.error?.message ??
        (probe.stderr.trim().split('\n').pop() || `exit code ${probe.status ?? probe.signal}`);
      problem =
        `HumanEval execution needs a bubblewrap sandbox, and "${bwrap}" could not create one (${why}): ` +
        `allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or ` +
        `kernel.apparmor_restrict_unprivileged_userns=0), ${UNSAFE_HINT}`;
    }
    checked.set(key, problem);
  }
  const problem = checked.get(key);
  if (problem) throw new Error(problem);
  return bwrap;
}
