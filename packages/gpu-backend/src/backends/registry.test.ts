import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { activeBackend, describeBackend, initBackend } from '../backend.js';
import {
  BACKEND_NAMES,
  BackendError,
  type BackendPlugin,
  BackendRegistry,
  backendRegistry,
  createBackendRegistry,
  registerBackend,
} from './index.js';

/** A plugin whose probe always fails with `reason`. */
function failing(name: string, reason: string, extra: Partial<BackendPlugin> = {}): BackendPlugin {
  return {
    name,
    tfjsName: name,
    installHint: `install ${name}-package@1.0`,
    probe: async () => {
      throw new Error(reason);
    },
    ...extra,
  };
}

/** A plugin that activates tfjs's own cpu backend under another name, counting its hooks. */
function cpuAlias(name: string, extra: Partial<BackendPlugin> = {}) {
  const calls = { probe: 0, kernels: 0, verify: 0 };
  const plugin: BackendPlugin = {
    name,
    tfjsName: 'cpu',
    installHint: 'install @tensorflow/tfjs-backend-cpu',
    probe: async () => {
      calls.probe++;
      await import('@tensorflow/tfjs-backend-cpu');
    },
    kernels: () => {
      calls.kernels++;
    },
    verify: () => {
      calls.verify++;
    },
    ...extra,
  };
  return { plugin, calls };
}

afterEach(() => {
  delete process.env.HYDRALORA_BACKEND;
});

describe('BackendRegistry', () => {
  it('holds the five built-ins in their resolution order with priorities 500…100', () => {
    const registry = createBackendRegistry();
    expect(registry.names()).toEqual([...BACKEND_NAMES]);
    expect(registry.plugins().map((e) => e.priority)).toEqual([500, 400, 300, 200, 100]);
    expect(backendRegistry.names().slice(0, 5)).toEqual([...BACKEND_NAMES]);
  });

  it('rejects a duplicate name, naming it (built-in or plugin)', () => {
    const registry = createBackendRegistry();
    expect(() => registry.register(failing('wasm', 'x'))).toThrow(
      /backend registry: a backend named 'wasm' is already registered/,
    );
    registry.register(failing('my-npu', 'x'));
    expect(() => registerBackend(failing('my-npu', 'y'), registry)).toThrow(BackendError);
    expect(() => registerBackend(failing('my-npu', 'y'), registry)).toThrow(/'my-npu' is already registered/);
    expect(registry.names().filter((n) => n === 'my-npu')).toHaveLength(1);
  });

  it('places plugins before/after a named backend, by priority, or (default) after the built-ins', () => {
    const registry = createBackendRegistry();
    registry.register(failing('default-a', 'x'));
    registry.register(failing('before-wasm', 'x', { position: { before: 'wasm' } }));
    registry.register(failing('after-wasm', 'x', { position: { after: 'wasm' } }));
    registry.register(failing('p450', 'x', { position: { priority: 450 } }));
    registry.register(failing('p1000', 'x', { position: { priority: 1000 } }));
    // Equal priority: after the ones already holding it (registration order).
    registry.register(failing('p300', 'x', { position: { priority: 300 } }));
    registry.register(failing('default-b', 'x'));
    registry.register(failing('after-p1000', 'x', { position: { after: 'p1000' } }));
    expect(registry.names()).toEqual([
      'p1000',
      'after-p1000',
      'tensorflow-gpu',
      'p450',
      'tensorflow',
      'webgpu',
      'p300',
      'before-wasm',
      'wasm',
      'after-wasm',
      'cpu',
      'default-a',
      'default-b',
    ]);
    const priorities = registry.plugins().map((e) => e.priority);
    expect(priorities).toEqual([1000, 1000, 500, 450, 400, 300, 300, 200, 200, 200, 100, 0, 0]);
  });

  it('rejects an unknown anchor listing the registered names, and invalid fields naming them', () => {
    const registry = createBackendRegistry();
    expect(() => registry.register(failing('npu', 'x', { position: { after: 'tpu' } }))).toThrow(
      /plugin 'npu': field 'position.after' = "tpu" is not a registered backend; registered: tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
    );
    expect(() => registry.register(failing('npu', 'x', { position: { priority: Number.NaN } }))).toThrow(
      /field 'position.priority' must be a finite number, got NaN/,
    );
    expect(() => registry.register(failing('auto', 'x'))).toThrow(/field 'name' = "auto" is invalid/);
    expect(() => registry.register(failing('Has Space', 'x'))).toThrow(
      /field 'name' = "Has Space" is invalid/,
    );
    expect(() => registry.register(failing('npu', 'x', { installHint: ' ' }))).toThrow(
      /plugin 'npu': field 'installHint' must be a non-empty string/,
    );
    expect(() => registry.register(failing('npu', 'x', { tfjsName: '' }))).toThrow(/field 'tfjsName'/);
    expect(registry.has('npu')).toBe(false);
    expect(() => registry.get('tpu')).toThrow(
      /unknown backend 'tpu'; expected one of: tensorflow-gpu, tensorflow, webgpu, wasm, cpu/,
    );
  });

  it('a bare registry starts empty', () => {
    expect(new BackendRegistry().names()).toEqual([]);
  });
});

describe('initBackend with plugins', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('rejects unknown names listing every registered backend, plugins included', async () => {
    const registry = createBackendRegistry();
    registry.register(failing('my-npu', 'x'));
    await expect(initBackend({ backend: 'tpu', registry })).rejects.toThrow(
      /unknown backend 'tpu'; expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu, my-npu$/,
    );
  });

  it("an explicit plugin whose probe fails throws with the probe's reason and the plugin's install hint", async () => {
    const registry = createBackendRegistry();
    registry.register(failing('my-npu', 'no NPU device found\nsecond line'));
    const error = await initBackend({ backend: 'my-npu', registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toBe(
      "backend 'my-npu' was requested but cannot be used: no NPU device found. To use it, install my-npu-package@1.0.",
    );
    expect(tf.getBackend()).toBe('wasm');
  });

  it('auto-resolution follows the declared positions, records skipped plugins and runs the hooks', async () => {
    const registry = createBackendRegistry();
    registry.register(failing('npu-first', 'no NPU', { position: { before: 'tensorflow-gpu' } }));
    const { plugin, calls } = cpuAlias('cpu-early', { position: { before: 'wasm' } });
    registry.register(plugin);
    const info = await initBackend({ registry });
    expect(info.name).toBe('cpu-early');
    expect(info.tfjsName).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.skipped.map((s) => s.backend)).toEqual([
      'npu-first',
      'tensorflow-gpu',
      'tensorflow',
      'webgpu',
    ]);
    expect(info.skipped[0]!.reason).toBe('no NPU');
    expect(calls).toEqual({ probe: 1, kernels: 1, verify: 1 });
    // Idempotent for the same registry; another registry resolves afresh (here: wasm).
    expect(await initBackend({ registry })).toBe(info);
    expect(calls.probe).toBe(1);
    expect((await initBackend()).name).toBe('wasm');
    const report = await describeBackend();
    expect(report.registered.map((r) => r.name)).toEqual(backendRegistry.names());
  });

  it('describeBackend lists the registered plugins of the registry in use', async () => {
    const registry = createBackendRegistry();
    registry.register(cpuAlias('cpu-late').plugin);
    await initBackend({ backend: 'cpu-late', registry });
    expect(activeBackend()?.name).toBe('cpu-late');
    const report = await describeBackend();
    expect(report.backend).toBe('cpu-late');
    expect(report.tfjsBackend).toBe('cpu');
    expect(report.registered.map((r) => [r.name, r.builtin, r.priority])).toEqual([
      ['tensorflow-gpu', true, 500],
      ['tensorflow', true, 400],
      ['webgpu', true, 300],
      ['wasm', true, 200],
      ['cpu', true, 100],
      ['cpu-late', false, 0],
    ]);
    expect(report.registered[3]!.description).toMatch(/WebAssembly/);
  });

  it('a plugin in the default registry is taken from HYDRALORA_BACKEND', async () => {
    const { plugin } = cpuAlias('registry-test-cpu');
    registerBackend(plugin);
    expect(backendRegistry.names().at(-1)).toBe('registry-test-cpu');
    process.env.HYDRALORA_BACKEND = 'registry-test-cpu';
    expect((await initBackend()).name).toBe('registry-test-cpu');
    process.env.HYDRALORA_BACKEND = 'nope';
    await expect(initBackend()).rejects.toThrow(
      /unknown backend 'nope' \(from env HYDRALORA_BACKEND\); expected one of auto, tensorflow-gpu, tensorflow, webgpu, wasm, cpu, registry-test-cpu/,
    );
  });
});
