import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { registerBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { blasLine, doctorReport, formatDoctorReport } from './doctor.js';

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

  it('reports the BLAS library in use, or once what to install and what it gains', async () => {
    const report = await doctorReport({ backend: 'wasm' });
    const text = formatDoctorReport(report);
    if (report.blas.path) {
      expect(report.blas).toMatchObject({ active: true, reason: null });
      expect(report.blas.threads).toBeGreaterThanOrEqual(1);
      expect(text).toContain(`\nBLAS        ${report.blas.vendor} ${report.blas.path} (`);
    } else {
      console.warn(`BLAS half of the doctor test skipped: ${report.blas.reason}`);
    }
    const none = {
      ...report,
      blas: {
        active: false,
        vendor: null,
        path: null,
        config: null,
        threads: null,
        reason: 'no BLAS library found (tried 11 names)',
      },
    };
    const line = blasLine(none);
    expect(line).toMatch(
      /^none \(no BLAS library found \(tried 11 names\)\)\. To train faster on the CPU, .*\(measured [\d.]+–[\d.]+× faster training steps on 2 cores, packages\/models\/bench\/RESULTS\.md\)$/,
    );
    expect(formatDoctorReport(none).split('libopenblas0-pthread').length - 1).toBe(
      process.platform === 'linux' ? 1 : 0,
    );
    expect(blasLine({ ...none, blas: { ...none.blas, reason: 'disabled by HYDRALORA_BLAS=off' } })).toBe(
      'off (disabled by HYDRALORA_BLAS=off)',
    );
  });

  it('rejects an unknown --backend naming the flag and the choices', async () => {
    await expect(doctorReport({ backend: 'cuda' })).rejects.toThrow(
      /--backend: unknown backend 'cuda'; expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
    );
  });
});

describe('doctor with a registered backend plugin', () => {
  it('lists the plugin, accepts its name for --backend and shows its install hint when it cannot load', async () => {
    registerBackend({
      name: 'doctor-test-npu',
      tfjsName: 'doctor-test-npu',
      description: 'a test plugin whose device is never present',
      installHint: 'install doctor-test-npu-driver@1.0',
      probe: async () => {
        throw new Error('no NPU device found');
      },
    });
    const report = await doctorReport({ backend: 'wasm' });
    expect(report.registered.map((b) => [b.name, b.builtin])).toEqual([
      ['tensorflow-gpu', true],
      ['tensorflow', true],
      ['webgpu', true],
      ['wasm', true],
      ['cpu', true],
      ['doctor-test-npu', false],
    ]);
    const text = formatDoctorReport(report);
    expect(text).toMatch(
      /\nbackends {4}tensorflow-gpu → tensorflow → webgpu → wasm → cpu → doctor-test-npu \(plugin\)\n/,
    );
    expect(text).toMatch(
      /\nplugin {6}doctor-test-npu \(tfjs doctor-test-npu, priority 0\): a test plugin whose device is never present\n/,
    );
    await expect(doctorReport({ backend: 'doctor-test-npu' })).rejects.toThrow(
      "backend 'doctor-test-npu' was requested but cannot be used: no NPU device found. To use it, install doctor-test-npu-driver@1.0.",
    );
    await expect(doctorReport({ backend: 'tpu' })).rejects.toThrow(
      /expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu, doctor-test-npu$/,
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
    const blas = report.blas as Record<string, unknown>;
    expect(Object.keys(blas).sort()).toEqual(['active', 'config', 'path', 'reason', 'threads', 'vendor']);
    // HYDRALORA_BLAS=off: the pure-wasm path, and the report says so
    const off = await promisify(execFile)('node', [cli, 'doctor', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, HYDRALORA_BACKEND: 'wasm', HYDRALORA_BLAS: 'off' },
    });
    expect((JSON.parse(off.stdout) as { blas: unknown }).blas).toMatchObject({
      active: false,
      path: null,
      reason: 'disabled by HYDRALORA_BLAS=off',
    });
  });
});
