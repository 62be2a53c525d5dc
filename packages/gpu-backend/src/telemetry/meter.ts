/**
 * EnergyMeter: CPU, GPU and RAM energy of a training run, for a Table-4-style report (kWh per
 * device and wall hours). Every value says whether it was measured or estimated, and how.
 *
 * Measured: CPU = RAPL package domains, RAM = RAPL dram domains (whole machine, all processes),
 * GPU = `nvidia-smi` board power sampled every `sampleIntervalMs` and integrated with the
 * trapezoid rule. Estimated when a counter is not readable (documented model, this process only):
 *   CPU W = cpuWattsPerCore × cores busy, cores busy = Δ process.cpuUsage (user + system) / Δ wall
 *   RAM W = ramWattsPerGiB × resident set size (GiB), averaged over the samples
 * with defaults of 12 W per core (a typical server core's share of its package TDP) and
 * 0.3725 W per GiB (a commonly used DRAM power figure). Without an NVIDIA GPU, GPU energy is 0
 * and labelled as an estimate.
 */
import { type GpuPowerQuery, nvidiaSmiPower } from './gpu.js';
import { DEFAULT_POWERCAP_ROOT, openRaplDomains, type RaplDomain, sampleRaplDomains } from './rapl.js';

export interface EnergyValue {
  kWh: number;
  source: 'measured' | 'estimated';
  /** How the value was obtained, in words (shown next to it in reports). */
  method: string;
}

export interface EnergyReport {
  cpu: EnergyValue;
  gpu: EnergyValue;
  ram: EnergyValue;
  totalKWh: number;
  wallHours: number;
  /** True when any component is an estimate. */
  estimated: boolean;
}

export interface EnergyMeterOptions {
  /** Root of the powercap tree (default /sys/class/powercap; injectable for tests). */
  powercapRoot?: string;
  /** GPU power query (default nvidia-smi); null to skip the GPU. */
  gpuQuery?: GpuPowerQuery | null;
  /** Sampling period for GPU power, RAPL wrap-around and the estimates (default 1000 ms). */
  sampleIntervalMs?: number;
  /** Estimate: watts per fully busy core (default 12). */
  cpuWattsPerCore?: number;
  /** Estimate: watts per GiB of resident memory (default 0.3725). */
  ramWattsPerGiB?: number;
  /** Clock in ms (injectable for tests; default performance.now). */
  now?: () => number;
  /** CPU time of this process in µs (default process.cpuUsage). */
  cpuUsage?: () => { user: number; system: number };
  /** Resident set size in bytes (default process.memoryUsage.rss). */
  rss?: () => number;
}

const J_PER_KWH = 3.6e6;
const GiB = 1024 ** 3;

export class EnergyMeter {
  private readonly domains: RaplDomain[];
  private readonly now: () => number;
  private readonly cpuUsage: () => { user: number; system: number };
  private readonly rss: () => number;
  private readonly startMs: number;
  private readonly startCpuUs: number;
  private lastMs: number;
  private lastRss: number;
  private ramEstimateJ = 0;
  private gpuJ = 0;
  private lastGpuW: number | null = null;
  private gpuSeen = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped: EnergyReport | undefined;

  private constructor(private readonly options: EnergyMeterOptions) {
    this.domains = openRaplDomains(options.powercapRoot ?? DEFAULT_POWERCAP_ROOT);
    this.now = options.now ?? (() => performance.now());
    this.cpuUsage = options.cpuUsage ?? (() => process.cpuUsage());
    this.rss = options.rss ?? (() => process.memoryUsage.rss());
    this.startMs = this.now();
    this.lastMs = this.startMs;
    const usage = this.cpuUsage();
    this.startCpuUs = usage.user + usage.system;
    this.lastRss = this.rss();
  }

  /** Start measuring; samples in the background until `stop()`. */
  static async start(options: EnergyMeterOptions = {}): Promise<EnergyMeter> {
    const meter = new EnergyMeter(options);
    const query = meter.gpuQuery();
    if (query) {
      const watts = await query();
      if (watts) {
        meter.gpuSeen = true;
        meter.lastGpuW = watts.reduce((a, b) => a + b, 0);
      }
    }
    const period = options.sampleIntervalMs ?? 1000;
    if (period > 0) {
      meter.timer = setInterval(() => void meter.sample(), period);
      meter.timer.unref();
    }
    return meter;
  }

  private gpuQuery(): GpuPowerQuery | null {
    return this.options.gpuQuery === undefined ? nvidiaSmiPower : this.options.gpuQuery;
  }

  /** Take one sample now (the background timer calls this; tests call it directly). */
  async sample(): Promise<void> {
    const root = this.options.powercapRoot ?? DEFAULT_POWERCAP_ROOT;
    sampleRaplDomains(this.domains, root);
    const query = this.gpuQuery();
    const watts = this.gpuSeen && query ? await query() : null;
    const t = this.now();
    const dt = (t - this.lastMs) / 1000;
    if (watts) {
      const w = watts.reduce((a, b) => a + b, 0);
      this.gpuJ += ((w + (this.lastGpuW ?? w)) / 2) * dt;
      this.lastGpuW = w;
    }
    const rss = this.rss();
    this.ramEstimateJ += ((rss + this.lastRss) / 2 / GiB) * (this.options.ramWattsPerGiB ?? 0.3725) * dt;
    this.lastRss = rss;
    this.lastMs = t;
  }

  /** Take a last sample, stop the timer and return the report (idempotent). */
  async stop(): Promise<EnergyReport> {
    if (this.stopped) return this.stopped;
    if (this.timer) clearInterval(this.timer);
    await this.sample();
    const wallHours = (this.lastMs - this.startMs) / 3.6e6;
    const usage = this.cpuUsage();
    const busyCores =
      (usage.user + usage.system - this.startCpuUs) / 1e3 / Math.max(this.lastMs - this.startMs, 1e-9);
    const perCore = this.options.cpuWattsPerCore ?? 12;
    const sum = (name: (n: string) => boolean) =>
      this.domains.filter((d) => name(d.name)).reduce((s, d) => s + d.totalUj / 1e6, 0);
    const packages = this.domains.filter((d) => d.name.startsWith('package'));
    const drams = this.domains.filter((d) => d.name === 'dram');

    const cpu: EnergyValue = packages.length
      ? {
          kWh: sum((n) => n.startsWith('package')) / J_PER_KWH,
          source: 'measured',
          method: `RAPL ${packages.map((d) => d.id).join(', ')} (whole machine)`,
        }
      : {
          kWh: (perCore * busyCores * wallHours * 3600) / J_PER_KWH,
          source: 'estimated',
          method: `${perCore} W per busy core × ${busyCores.toFixed(2)} cores busy (process CPU time / wall time); RAPL not readable`,
        };
    const ram: EnergyValue = drams.length
      ? {
          kWh: sum((n) => n === 'dram') / J_PER_KWH,
          source: 'measured',
          method: `RAPL ${drams.map((d) => d.id).join(', ')} (whole machine)`,
        }
      : {
          kWh: this.ramEstimateJ / J_PER_KWH,
          source: 'estimated',
          method: `${this.options.ramWattsPerGiB ?? 0.3725} W per GiB of this process's resident memory; no RAPL dram domain`,
        };
    const gpu: EnergyValue = this.gpuSeen
      ? {
          kWh: this.gpuJ / J_PER_KWH,
          source: 'measured',
          method: 'nvidia-smi power.draw, trapezoid rule over samples',
        }
      : { kWh: 0, source: 'estimated', method: 'no NVIDIA GPU found (nvidia-smi unavailable): counted as 0' };
    this.stopped = {
      cpu,
      gpu,
      ram,
      totalKWh: cpu.kWh + gpu.kWh + ram.kWh,
      wallHours,
      estimated: [cpu, gpu, ram].some((v) => v.source === 'estimated'),
    };
    return this.stopped;
  }
}

/** A few lines for logs and reports; every estimate is labelled as such. */
export function formatEnergyReport(report: EnergyReport): string {
  const line = (label: string, v: EnergyValue) =>
    `${label} ${v.kWh.toExponential(3)} kWh  ${v.source === 'estimated' ? '(ESTIMATED)' : '(measured)'}  ${v.method}`;
  return [
    line('CPU', report.cpu),
    line('GPU', report.gpu),
    line('RAM', report.ram),
    `total ${report.totalKWh.toExponential(3)} kWh${report.estimated ? ' (includes estimates)' : ''} over ${report.wallHours.toFixed(4)} h`,
  ].join('\n');
}
