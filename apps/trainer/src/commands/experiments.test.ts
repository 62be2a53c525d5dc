import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { REPRO_DEFAULT_STEPS } from '../repro.js';
import { register as analyze } from './analyze.js';
import { commandLine, register as repro, seedCount } from './repro.js';
import { register as sweep } from './sweep.js';

function program(): Command {
  const p = new Command('hydralora').exitOverride();
  for (const r of [repro, analyze, sweep]) r(p);
  for (const c of p.commands) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return p;
}

describe('repro, analyze and sweep commands', () => {
  it('register the flags the docs name', () => {
    const p = program();
    const flags = (name: string) => p.commands.find((c) => c.name() === name)!.options.map((o) => o.long);
    expect(flags('repro')).toEqual(
      expect.arrayContaining([
        '--seeds',
        '--out',
        '--model',
        '--steps',
        '--per-component-train',
        '--per-component-test',
        '--methods',
        '--docs',
      ]),
    );
    expect(flags('analyze')).toEqual(expect.arrayContaining(['--adapter', '--model', '--out', '--data']));
    expect(flags('sweep')).toEqual(expect.arrayContaining(['--k', '--seeds', '--r', '--out', '--steps']));
  });

  it("repro defaults to 5 seeds at its own step budget; the demo's budget stays", () => {
    const p = program();
    const option = (cmd: string, flag: string) =>
      p.commands.find((c) => c.name() === cmd)!.options.find((o) => o.long === flag)!.defaultValue;
    expect(option('repro', '--seeds')).toEqual([0, 1, 2, 3, 4]);
    expect(option('repro', '--steps')).toBe(REPRO_DEFAULT_STEPS);
    expect(option('sweep', '--steps')).toBe(250);
  });

  it('reject bad values naming the flag and value', async () => {
    await expect(program().parseAsync(['sweep', '--k', '5..2'], { from: 'user' })).rejects.toThrow(
      "--k: expected a range like 1..6 or a list like 2,4,8 of positive integers, got '5..2'",
    );
    await expect(program().parseAsync(['repro', '--seeds', '0'], { from: 'user' })).rejects.toThrow(
      "--seeds expects a positive number of seeds, got '0'",
    );
    await expect(program().parseAsync(['analyze'], { from: 'user' })).rejects.toThrow(/--adapter/);
  });

  it('turns a seed count into seeds and records the command line', () => {
    expect(seedCount('--seeds')('3')).toEqual([0, 1, 2]);
    expect(commandLine(['repro', '--seeds', '3', '--out', 'my runs'])).toBe(
      "hydralora repro --seeds 3 --out 'my runs'",
    );
  });
});
