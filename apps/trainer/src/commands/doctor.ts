/**
 * `hydralora doctor [--json] [--backend NAME]`: initialise the tfjs backend exactly as training
 * would and report what is in use (backend, version, device, threads, SIMD, memory) and whether
 * energy telemetry is measured or estimated on this machine.
 */
import {
  type BackendReport,
  backendRegistry,
  describeBackend,
  EnergyMeter,
  initBackend,
} from '@hydralora/gpu-backend';
import type { Command } from 'commander';
import { UserError } from '../util/errors.js';

export interface DoctorReport extends BackendReport {
  /** Whether each energy figure of a training run would be measured or estimated here. */
  energy: { cpu: string; gpu: string; ram: string };
}

export interface DoctorOptions {
  /** Backend to require (default: env HYDRALORA_BACKEND, else automatic resolution). */
  backend?: string;
}

/** Initialise the backend and build the doctor report. */
export async function doctorReport(options: DoctorOptions = {}): Promise<DoctorReport> {
  const { backend } = options;
  // Built-ins and any plugin registered in this process (e.g. by a module preloaded with --import).
  if (backend !== undefined && backend !== 'auto' && !backendRegistry.has(backend)) {
    throw new UserError(
      `--backend: unknown backend '${backend}'; expected one of auto, ${backendRegistry.names().join(', ')}`,
    );
  }
  await initBackend(backend ? { backend } : {});
  const report = await describeBackend();
  const meter = await EnergyMeter.start({ sampleIntervalMs: 0 });
  const energy = await meter.stop();
  const label = (v: { source: string; method: string }) => `${v.source}: ${v.method}`;
  return { ...report, energy: { cpu: label(energy.cpu), gpu: label(energy.gpu), ram: label(energy.ram) } };
}

const MiB = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

/** The training-step speed-up BLAS gave in the committed benchmark (packages/models/bench/RESULTS.md). */
const BLAS_GAIN = '1.5–3.8×';

/**
 * The BLAS row: what is in use, or — once, plainly — what to install and what it gains. The gain
 * is the one measured by `pnpm bench` (packages/models/bench/RESULTS.md).
 */
export function blasLine(r: DoctorReport): string {
  const b = r.blas;
  if (b.active) {
    return `${b.vendor} ${b.path} (${b.config ?? 'no version string'}), ${b.threads ?? '?'} thread(s): matrix products run natively`;
  }
  if (r.tfjsBackend !== 'wasm')
    return `not used on ${r.tfjsBackend} (${b.reason ?? 'only the wasm backend uses it'})`;
  if (b.reason?.startsWith('disabled')) return `off (${b.reason})`;
  const install =
    process.platform === 'darwin'
      ? 'Accelerate ships with macOS; if it is not found, `brew install openblas`'
      : 'install OpenBLAS: `sudo apt-get install libopenblas0-pthread` (Debian/Ubuntu; `dnf install openblas` on Fedora)';
  return `none (${b.reason ?? 'not found'}). To train faster on the CPU, ${install}, or set HYDRALORA_BLAS=/path/to/libcblas: matrix products then run on all cores instead of one wasm thread (measured ${BLAS_GAIN} faster training steps on 2 cores, packages/models/bench/RESULTS.md)`;
}

/** The human-readable form of the report. */
export function formatDoctorReport(r: DoctorReport): string {
  const rows: [string, string][] = [
    ['backend', `${r.backend} (tfjs ${r.tfjsBackend}, tfjs-core ${r.version})`],
    ['device', r.device],
    ['threads', String(r.threads)],
    ['SIMD', r.simd === null ? 'n/a' : r.simd ? 'yes' : 'no'],
    [
      'memory',
      `${r.memory.tensors} tensors (${MiB(r.memory.tensorBytes)}), wasm heap ${MiB(r.memory.heapBytes)}, ` +
        `budget ${MiB(r.memory.budgetBytes)}, process RSS ${MiB(r.memory.rssBytes)}`,
    ],
    ...r.skipped.map((s): [string, string] => ['skipped', `${s.backend}: ${s.reason}`]),
    ['BLAS', blasLine(r)],
    ['backends', r.registered.map((b) => (b.builtin ? b.name : `${b.name} (plugin)`)).join(' → ')],
    ...r.registered
      .filter((b) => !b.builtin)
      .map((b): [string, string] => [
        'plugin',
        `${b.name} (tfjs ${b.tfjsName}, priority ${b.priority})${b.description ? `: ${b.description}` : ''}`,
      ]),
    ['energy CPU', r.energy.cpu],
    ['energy GPU', r.energy.gpu],
    ['energy RAM', r.energy.ram],
    ['platform', `${r.platform}, Node ${r.node}`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n');
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'initialise the tfjs backend and report what is in use (backend, version, device, threads, memory)',
    )
    .option('--json', 'print the report as JSON')
    .option(
      '--backend <name>',
      `require a backend: auto, ${backendRegistry.names().join(', ')} (default: env HYDRALORA_BACKEND, else auto)`,
    )
    .action(async (options: { json?: boolean; backend?: string }) => {
      const report = await doctorReport(options.backend ? { backend: options.backend } : {});
      console.log(options.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
    });
}
