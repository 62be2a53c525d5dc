/**
 * `--adapter` takes the adapter folder itself (adapter_config.json + adapter_model.safetensors),
 * which `hydralora train --out DIR` writes to DIR/adapter (the run folder DIR is not an adapter) and
 * `hydralora export --out DIR` (without `--merge`) writes to DIR. Checks every `--adapter` value of
 * the shell snippets against the `--out` of the snippets' train and export calls.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { invocations } from './cli-check.js';

const cliDir = fileURLToPath(new URL('./cli/', import.meta.url));
const calls = readdirSync(cliDir)
  .filter((f) => f.endsWith('.sh'))
  .flatMap((file) => invocations(readFileSync(join(cliDir, file), 'utf8')).map((c) => ({ file, ...c })));

function flag(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

describe('--adapter in the CLI snippets', () => {
  const runDirs = new Set(
    calls
      .filter((c) => c.argv[0] === 'train')
      .map((c) => flag(c.argv, '--out'))
      .filter((d): d is string => d !== undefined),
  );
  const exported = new Set(
    calls
      .filter((c) => c.argv[0] === 'export' && !c.argv.includes('--merge'))
      .map((c) => flag(c.argv, '--out'))
      .filter((d): d is string => d !== undefined),
  );
  const adapterArgs = calls
    .map((c) => ({ where: `${c.file}:${c.line}`, value: flag(c.argv, '--adapter') }))
    .filter((a): a is { where: string; value: string } => a.value !== undefined);

  it('the snippets train into run folders and pass adapters', () => {
    expect(runDirs.size).toBeGreaterThan(0);
    expect(adapterArgs.length).toBeGreaterThan(0);
  });

  it('never pass a run folder of `train --out` as --adapter', () => {
    const runFolders = adapterArgs.filter((a) => runDirs.has(a.value.replace(/\/+$/, '')));
    expect(runFolders.map((a) => `${a.where}: ${a.value}`)).toEqual([]);
  });

  it('pass the `adapter` folder of a train run or the folder an export wrote', () => {
    const others = adapterArgs.filter((a) => !/(^|\/)adapter\/?$/.test(a.value) && !exported.has(a.value));
    expect(others.map((a) => `${a.where}: ${a.value}`)).toEqual([]);
  });
});
