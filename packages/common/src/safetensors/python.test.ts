import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, type SafetensorsTensor, serializeSafetensors } from './codec.js';
import { toFloat32 } from './dtype.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../__fixtures__/safetensors_reference.py', import.meta.url));
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch)
  console.warn('skipping the PyTorch cross-checks: /usr/bin/python3 with python3-torch is missing');

type Expected = Record<string, { dtype: string; shape: number[]; values: (number | boolean | string)[] }>;

function asNumber(v: number | boolean | string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return Number(v.replace('inf', 'Infinity'));
  return v;
}

function valuesOf(t: SafetensorsTensor): number[] {
  if (t.dtype === 'I64' || t.dtype === 'U64') return Array.from(t.data as BigInt64Array, Number);
  if (t.dtype === 'F16' || t.dtype === 'BF16') return Array.from(toFloat32(t.data, t.dtype));
  return Array.from(t.data as ArrayLike<number>);
}

describe.skipIf(!hasTorch)('safetensors against an independent PyTorch script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'common-st-'));

  it('reads a file the script wrote (every dtype, reference ordering, metadata last) value for value', () => {
    execFileSync(PYTHON, [SCRIPT, 'write', dir]);
    const file = join(dir, 'reference.safetensors');
    const content = parseSafetensors(readFileSync(file), { file });
    const expected = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Expected;
    expect(content.metadata).toEqual({ format: 'pt', source: 'python' });
    expect([...content.tensors.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = content.tensors.get(name)!;
      expect(got.dtype, name).toBe(want.dtype);
      expect(got.shape, name).toEqual(want.shape);
      expect(valuesOf(got), name).toEqual(want.values.map(asNumber));
    }
    expect(content.tensors.get('ids.i64')!.data).toEqual(
      BigInt64Array.from([0n, -1n, 2n ** 40n + 3n, -(2n ** 52n)]),
    );
  });

  it('writes files the script reads back bit for bit', () => {
    const source = parseSafetensors(readFileSync(join(dir, 'reference.safetensors')));
    const out = join(dir, 'ours.safetensors');
    writeFileSync(out, serializeSafetensors(source.tensors, { format: 'pt' }));
    const read = JSON.parse(execFileSync(PYTHON, [SCRIPT, 'read', out], { encoding: 'utf8' })) as {
      metadata: Record<string, string>;
      tensors: Expected;
    };
    const expected = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Expected;
    expect(read.metadata).toEqual({ format: 'pt' });
    expect(read.tensors).toEqual(expected);
  });
});
