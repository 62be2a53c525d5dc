import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hashUnit, stableHash } from './hash.js';
import { mulberry32 } from './mulberry32.js';
import { createRng } from './rng.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../__fixtures__/mulberry32_reference.py', import.meta.url));
const hasPython = spawnSync(PYTHON, ['-c', 'pass'], { stdio: 'ignore' }).status === 0;
if (!hasPython) console.warn('skipping the Python cross-check of mulberry32: /usr/bin/python3 is missing');

const SEEDS = [0, 1, 42, 1234, 4294967295, 2654435769];

describe.skipIf(!hasPython)('mulberry32 against an independent Python implementation', () => {
  const reference = JSON.parse(
    execFileSync(PYTHON, [SCRIPT, ...SEEDS.map(String)], { encoding: 'utf8' }),
  ) as {
    uniform: Record<string, number[]>;
    shuffles: Record<string, number[]>;
    hashed: Record<string, number[]>;
    normals: Record<string, number[]>;
  };

  it('gives the same uniform stream, bit for bit, from mulberry32() and createRng().next()', () => {
    for (const seed of SEEDS) {
      const f = mulberry32(seed);
      const rng = createRng(seed);
      const want = reference.uniform[seed]!;
      expect(
        want.map(() => f()),
        `seed ${seed}`,
      ).toEqual(want);
      expect(
        want.map(() => rng.next()),
        `seed ${seed}`,
      ).toEqual(want);
    }
  });

  it('shuffles as the trainer’s epoch order did (Fisher–Yates from the end, seed·1000003 + epoch·7919)', () => {
    for (const seed of SEEDS) {
      const order = Array.from({ length: 50 }, (_, i) => i);
      createRng((seed * 1_000_003 + 3 * 7919) >>> 0).shuffle(order);
      expect(order, `seed ${seed}`).toEqual(reference.shuffles[seed]);
    }
  });

  it('reproduces the embedded corpora’s generator: mulberry32 seeded by stableHash("rng", seed)', () => {
    for (const seed of SEEDS) {
      const [hash, ...stream] = reference.hashed[seed]!;
      expect(stableHash('rng', seed)).toBe(hash);
      const rng = createRng(stableHash('rng', seed));
      expect(stream.map(() => rng.next())).toEqual(stream);
    }
    expect(hashUnit('rng', 7)).toBe(stableHash('rng', 7) / 2 ** 32);
  });

  it('draws normals by Box–Muller, cos first then the cached sin', () => {
    for (const seed of SEEDS) {
      const rng = createRng(seed);
      const want = reference.normals[seed]!;
      const got = want.map(() => rng.normal());
      got.forEach((g, i) =>
        expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(want[i]!))),
      );
    }
  });
});

describe('createRng', () => {
  it('int(n) is floor(next·n); fork and state continue deterministically', () => {
    const a = createRng(9);
    const b = mulberry32(9);
    for (let i = 0; i < 100; i++) expect(a.int(7)).toBe(Math.floor(b() * 7));
    const saved = a.state();
    const next = [a.next(), a.next()];
    const resumed = createRng(saved);
    expect([resumed.next(), resumed.next()]).toEqual(next);
    const child1 = createRng(3).fork();
    const child2 = createRng(3).fork();
    expect([child1.next(), child1.next()]).toEqual([child2.next(), child2.next()]);
    expect(() => a.int(0)).toThrow(/n must be positive, got 0/);
  });
  it('draws standard normals: mean and variance of 100k draws within 4 standard errors', () => {
    const rng = createRng(2024);
    const n = 100_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sq / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});
