/**
 * The command line as a whole: every command's help shows its defaults (no build-machine paths,
 * no raw JSON), takes --quiet, lists methods/routers/tasks from the registries; missing and
 * invalid options give one message shape; --version prints the package version.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { methodRegistry } from '@hydralora/core-adapters';
import { routerRegistry } from '@hydralora/router';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerCommands } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../dist/cli.js');
const root = path.resolve(here, '../../../..');

function program(): Command {
  const p = new Command().name('hydralora');
  registerCommands(p);
  return p;
}

describe('help texts', () => {
  it('every command documents --quiet, shows no absolute path of this machine and no JSON arrays', () => {
    const commands = program().commands;
    expect(commands.length).toBeGreaterThanOrEqual(12);
    for (const command of commands) {
      const help = command.helpInformation();
      expect(help, command.name()).toContain('--quiet');
      expect(help, command.name()).not.toContain(root);
      expect(help, command.name()).not.toMatch(/default: \[/);
    }
  });

  it('train lists methods and routers from the registries and shows every default', () => {
    const train = program().commands.find((c) => c.name() === 'train')!;
    const help = train.helpInformation();
    expect(help).toContain(methodRegistry.names().join(' | '));
    expect(help).toContain(routerRegistry.names().join(' | '));
    for (const shown of [
      '(default: 0.0002)',
      '(default: 16)',
      '(default: 0.05)',
      '(default: 10)',
      '(default: 128)',
    ])
      expect(help).toContain(shown);
    const missing = train.options.filter(
      (o) => !o.isBoolean() && !o.negate && o.defaultValue === undefined && !/default:/.test(o.description),
    );
    // Options with no default at all: files and optional settings.
    expect(missing.map((o) => o.long).sort()).toEqual(
      [
        '--alpha-pattern',
        '--config',
        '--data',
        '--eval-data',
        '--exclude-modules',
        '--model',
        '--prompt-tuning-init-text',
        '--rank-pattern',
      ].sort(),
    );
  });
});

describe.skipIf(!existsSync(cli))('messages (built CLI)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  it('--version prints the package version', () => {
    const version = JSON.parse(readFileSync(path.resolve(here, '../../package.json'), 'utf8')).version;
    expect(run('--version').stdout.trim()).toBe(version);
  });

  it('a missing or invalid option gets one message shape, without schema dumps', () => {
    const missing = run('train', '--data', 'x.jsonl');
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('error: --model is required (a Hugging Face model folder)');
    const required = run('score', '--text', 'hi');
    expect(required.stderr.trim()).toBe('error: --model is required (Hugging Face-layout model directory)');
    const invalid = run('train', '--model', 'm', '--data', 'd', '--r', 'x');
    expect(invalid.stderr.trim()).toBe("error: --r expects an integer ≥ 1, got 'x'");
    const range = run('train', '--model', 'm', '--data', 'd', '--lora-dropout', '1.5');
    expect(range.stderr.trim()).toBe("error: --lora-dropout expects a number <1, got '1.5'");
  });
});
