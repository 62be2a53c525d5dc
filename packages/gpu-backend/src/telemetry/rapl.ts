/**
 * CPU package and DRAM energy from Linux RAPL counters (/sys/class/powercap/intel-rapl:*; AMD
 * CPUs expose the same interface). Each domain has a cumulative `energy_uj` counter that wraps
 * at `max_energy_range_uj`. Reading it usually needs root (since 2020): when no counter can be
 * read, callers fall back to an estimate.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const DEFAULT_POWERCAP_ROOT = '/sys/class/powercap';

export interface RaplDomain {
  /** Directory name, e.g. `intel-rapl:0` or `intel-rapl:0:2`. */
  id: string;
  /** The domain's `name` file: `package-0`, `core`, `uncore`, `dram`, `psys`, … */
  name: string;
  /** Counter range in µJ (the counter wraps to 0 after this). */
  maxUj: number;
  /** Last counter value read, µJ. */
  lastUj: number;
  /** Energy accumulated since the first read, µJ. */
  totalUj: number;
}

function readNumber(file: string): number | undefined {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The readable domains that count CPU package (`package-*`) and DRAM (`dram`) energy. Core and
 * uncore sub-domains are parts of the package and are skipped to avoid counting them twice.
 */
export function openRaplDomains(root = DEFAULT_POWERCAP_ROOT): RaplDomain[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const domains: RaplDomain[] = [];
  for (const id of entries.filter((e) => /^intel-rapl:\d+(:\d+)*$/.test(e)).sort()) {
    let name: string;
    try {
      name = readFileSync(path.join(root, id, 'name'), 'utf8').trim();
    } catch {
      continue;
    }
    if (!name.startsWith('package') && name !== 'dram') continue;
    const energy = readNumber(path.join(root, id, 'energy_uj'));
    const maxUj = readNumber(path.join(root, id, 'max_energy_range_uj'));
    if (energy === undefined || maxUj === undefined || maxUj <= 0) continue;
    domains.push({ id, name, maxUj, lastUj: energy, totalUj: 0 });
  }
  return domains;
}

/**
 * Read every domain again and add the energy since the last read, undoing one wrap-around of the
 * counter. Read more often than the counter can wrap twice (minutes at full load).
 */
export function sampleRaplDomains(domains: RaplDomain[], root = DEFAULT_POWERCAP_ROOT): void {
  for (const d of domains) {
    const now = readNumber(path.join(root, d.id, 'energy_uj'));
    if (now === undefined) continue;
    let delta = now - d.lastUj;
    if (delta < 0) delta += d.maxUj;
    d.totalUj += delta;
    d.lastUj = now;
  }
}
