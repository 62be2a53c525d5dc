/**
 * The packages as published: `pnpm pack` every public package (workspace:* dependencies become
 * version ranges), install the tarballs with npm into a fresh project outside the workspace, and
 * run this example with tsx on the embedded tiny base model. Needs the packages built (`pnpm
 * build`) and the npm registry (or npm's cache) for tfjs and the other third-party dependencies.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const model = path.join(root, 'apps/trainer/assets/tiny-base');

/** Folders of the public packages (not private, with a built dist). */
function publicPackages(): string[] {
  return readdirSync(path.join(root, 'packages'))
    .map((name) => path.join(root, 'packages', name))
    .filter((dir) => {
      const file = path.join(dir, 'package.json');
      return existsSync(file) && !JSON.parse(readFileSync(file, 'utf8')).private;
    });
}

const built = publicPackages().every((dir) => existsSync(path.join(dir, 'dist')));

describe.skipIf(!built)('examples/finetune-from-code from packed tarballs', () => {
  it('installs outside the workspace, trains, saves, reloads to the same log-probabilities', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'hydralora-pack-'));
    try {
      packInstallRun(work);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

function packInstallRun(work: string): void {
  {
    const tarballs = path.join(work, 'tarballs');
    for (const dir of publicPackages())
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir, stdio: 'pipe' });
    const files = readdirSync(tarballs).map((f) => path.join(tarballs, f));
    expect(files.length).toBe(publicPackages().length);

    // pnpm pack rewrote workspace:* into the packages' versions.
    const trainerTgz = files.find((f) => path.basename(f).startsWith('hydralora-trainer-'))!;
    const manifest = execFileSync('tar', ['-xOzf', trainerTgz, 'package/package.json'], { encoding: 'utf8' });
    expect(manifest).not.toContain('workspace:');

    const project = path.join(work, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'try-hydralora', private: true, type: 'module' }, null, 2),
    );
    const devDeps = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8')).devDependencies;
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files, `tsx@${devDeps.tsx}`],
      { cwd: project, stdio: 'pipe', env: { ...process.env, npm_config_loglevel: 'error' } },
    );
    copyFileSync(path.join(here, 'index.ts'), path.join(project, 'index.ts'));
    const stdout = execFileSync(path.join(project, 'node_modules/.bin/tsx'), ['index.ts'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, HYDRALORA_MODEL: model },
    });
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      loss_first: number;
      loss_last: number;
      reloaded_logprobs_equal: boolean;
    };
    expect(last.loss_last).toBeLessThan(last.loss_first);
    expect(last.reloaded_logprobs_equal).toBe(true);
  }
}
