import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { doctorReport, formatDoctorReport } from './doctor.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = path.join(repoRoot, 'apps/trainer/dist/cli.js');

describe('doctor report', () => {
  it('reports the wasm backend with version, threads and memory', async () => {
    const report = await doctorReport({ backend: 'wasm' });
    expect(report.backend).toBe('wasm');
    expect(report.version).toBe(tf.version_core);
    expect(report.threads).toBe(1);
    expect(report.memory.budgetBytes).toBeGreaterThan(0);
    expect(report.energy.gpu).toMatch(/^(measured|estimated): /);
    const text = formatDoctorReport(report);
    expect(text).toMatch(/^backend {5}wasm \(tfjs wasm, tfjs-core \d+\.\d+\.\d+\)/);
    expect(text).toMatch(/\nthreads {5}1\n/);
  });

  it('rejects an unknown --backend naming the flag and the choices', async () => {
    await expect(doctorReport({ backend: 'cuda' })).rejects.toThrow(
      /--backend: unknown backend 'cuda'; expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
    );
  });
});

describe('hydralora doctor --json (built CLI)', () => {
  it('prints JSON with backend, version and threads', async () => {
    if (!existsSync(cli))
      execFileSync('pnpm', ['--filter', 'hydralora...', 'build'], { cwd: repoRoot, stdio: 'ignore' });
    const { stdout } = await promisify(execFile)('node', [cli, 'doctor', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, HYDRALORA_BACKEND: 'wasm' },
    });
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report.backend).toBe('wasm');
    expect(report.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.threads).toBe(1);
  });
});
