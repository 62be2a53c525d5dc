import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNvidiaSmiPower } from './gpu.js';
import { EnergyMeter, formatEnergyReport } from './meter.js';

const J_PER_KWH = 3.6e6;

function fakePowercap(domains: Record<string, { name: string; max?: number; energy?: number }>): {
  root: string;
  set(id: string, energy: number): void;
} {
  const root = mkdtempSync(path.join(tmpdir(), 'powercap-'));
  for (const [id, d] of Object.entries(domains)) {
    mkdirSync(path.join(root, id));
    writeFileSync(path.join(root, id, 'name'), `${d.name}\n`);
    if (d.max !== undefined) writeFileSync(path.join(root, id, 'max_energy_range_uj'), `${d.max}\n`);
    if (d.energy !== undefined) writeFileSync(path.join(root, id, 'energy_uj'), `${d.energy}\n`);
  }
  return { root, set: (id, energy) => writeFileSync(path.join(root, id, 'energy_uj'), `${energy}\n`) };
}

describe('EnergyMeter', () => {
  it('measures CPU and RAM from RAPL (with wrap-around) and GPU power from the query', async () => {
    const fake = fakePowercap({
      'intel-rapl:0': { name: 'package-0', max: 1_000_000_000, energy: 999_000_000 },
      'intel-rapl:0:0': { name: 'core', max: 1_000_000_000, energy: 5 },
      'intel-rapl:0:2': { name: 'dram', max: 500_000_000, energy: 100 },
      'intel-rapl:1': { name: 'package-1', max: 1_000_000_000, energy: 0 },
      'intel-rapl:2': { name: 'package-2', max: 1_000_000_000 }, // counter not readable: skipped
      'unrelated:0': { name: 'package-9', max: 10, energy: 1 },
    });
    let t = 0;
    const gpuWatts = [
      [100, 50],
      [200, 50],
      [200, 50],
    ];
    const meter = await EnergyMeter.start({
      powercapRoot: fake.root,
      gpuQuery: async () => gpuWatts.shift() ?? null,
      sampleIntervalMs: 0,
      now: () => t,
    });
    fake.set('intel-rapl:0', 1_000_000); // wrapped: +2 J
    fake.set('intel-rapl:1', 3_000_000); // +3 J
    fake.set('intel-rapl:0:2', 1_000_100); // +1 J
    fake.set('intel-rapl:0:0', 900_000_000); // part of package-0: not counted again
    t = 1_800_000;
    await meter.sample();
    fake.set('intel-rapl:0', 4_000_000); // +3 J
    fake.set('intel-rapl:0:2', 3_000_100); // +2 J
    t = 3_600_000;
    const report = await meter.stop();
    expect(report.wallHours).toBeCloseTo(1, 12);
    expect(report.cpu.source).toBe('measured');
    expect(report.cpu.method).toBe('RAPL intel-rapl:0, intel-rapl:1 (whole machine)');
    expect(report.cpu.kWh * J_PER_KWH).toBeCloseTo(8, 9);
    expect(report.ram.source).toBe('measured');
    expect(report.ram.kWh * J_PER_KWH).toBeCloseTo(3, 9);
    // Trapezoid rule: (150 + 250)/2 W × 1800 s + 250 W × 1800 s = 810 kJ.
    expect(report.gpu.source).toBe('measured');
    expect(report.gpu.kWh).toBeCloseTo(810_000 / J_PER_KWH, 12);
    expect(report.totalKWh).toBeCloseTo((8 + 3 + 810_000) / J_PER_KWH, 12);
    expect(report.estimated).toBe(false);
    expect(await meter.stop()).toBe(report);
  });

  it('falls back to a labelled estimate when RAPL and nvidia-smi are unavailable', async () => {
    let t = 0;
    let cpuUs = 0;
    const meter = await EnergyMeter.start({
      powercapRoot: path.join(tmpdir(), 'no-such-powercap-root'),
      gpuQuery: async () => null,
      sampleIntervalMs: 0,
      now: () => t,
      cpuUsage: () => ({ user: cpuUs * 0.75, system: cpuUs * 0.25 }),
      rss: () => 2 * 1024 ** 3,
    });
    t = 3_600_000;
    cpuUs = 1800e6; // half a core busy for the hour
    const report = await meter.stop();
    expect(report.cpu.source).toBe('estimated');
    expect(report.cpu.kWh * J_PER_KWH).toBeCloseTo(12 * 0.5 * 3600, 6);
    expect(report.cpu.method).toMatch(/12 W per busy core × 0\.50 cores busy/);
    expect(report.ram.source).toBe('estimated');
    expect(report.ram.kWh * J_PER_KWH).toBeCloseTo(0.3725 * 2 * 3600, 6);
    expect(report.gpu).toEqual({
      kWh: 0,
      source: 'estimated',
      method: expect.stringMatching(/no NVIDIA GPU/),
    });
    expect(report.estimated).toBe(true);
    const text = formatEnergyReport(report);
    expect(text.split('\n').filter((l) => l.includes('(ESTIMATED)'))).toHaveLength(3);
    expect(text).toMatch(/includes estimates/);
  });

  it('samples in the background and stops its timer', async () => {
    const meter = await EnergyMeter.start({
      gpuQuery: null,
      sampleIntervalMs: 5,
      powercapRoot: '/nonexistent',
    });
    await new Promise((r) => setTimeout(r, 30));
    const report = await meter.stop();
    expect(report.wallHours).toBeGreaterThan(0);
    expect(report.ram.kWh).toBeGreaterThan(0);
  });
});

describe('parseNvidiaSmiPower', () => {
  it('reads one value per GPU and skips [N/A]', () => {
    expect(parseNvidiaSmiPower(' 72.31\n[N/A]\n65.00\n')).toEqual([72.31, 65]);
    expect(parseNvidiaSmiPower('')).toBeNull();
    expect(parseNvidiaSmiPower('[N/A]\n')).toBeNull();
  });
});
