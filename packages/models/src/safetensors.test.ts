import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './dtype.js';
import { SafetensorsCheckpoint, SafetensorsFile, writeSafetensors } from './safetensors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safetensors-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));

/** A safetensors file built byte by byte, independently of the writer. */
function handMade(file: string, header: object, data: Uint8Array, claimLength?: number): void {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(claimLength ?? json.length));
  fs.writeFileSync(file, Buffer.concat([prefix, json, data]));
}

describe('half-precision conversions (IEEE 754 reference values)', () => {
  it('decodes float16 bit patterns', () => {
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(f16ToF32(0x7e00))).toBe(true);
  });
  it('encodes float16 with round-to-nearest-even and round-trips every finite pattern', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    for (let h = 0; h < 0x7c00; h += 7) expect(f32ToF16(f16ToF32(h))).toBe(h);
  });
  it('bfloat16 is the top half of float32', () => {
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc0a0)).toBe(-5);
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(Math.fround(1 + 2 ** -8))).toBe(0x3f80); // tie → even
    expect(f32ToBf16(Math.fround(1 + 3 * 2 ** -8))).toBe(0x3f82);
  });
});

describe('safetensors files', () => {
  it('reads a hand-made file (offsets relative to the header end)', () => {
    const file = path.join(dir, 'hand.safetensors');
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // F16 1, -2
    handMade(
      file,
      {
        __metadata__: { format: 'pt' },
        b: { dtype: 'F16', shape: [2], data_offsets: [24, 28] },
        a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      },
      new Uint8Array([...data, ...half]),
    );
    const f = SafetensorsFile.open(file);
    expect(f.read('a')).toEqual({ shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect(Array.from(f.read('b').data)).toEqual([1, -2]);
    expect(f.metadata).toEqual({ format: 'pt' });
  });

  it('round-trips F32, F16 and BF16 through the writer', () => {
    const file = path.join(dir, 'rt.safetensors');
    const values = new Float32Array([0.5, -1.25, 3, 1024]);
    writeSafetensors(file, [
      ['x', { shape: [4], data: values }],
      ['h', { shape: [2, 2], data: values, dtype: 'F16' }],
      ['b', { shape: [4], data: values, dtype: 'BF16' }],
    ]);
    const f = SafetensorsFile.open(file);
    for (const name of ['x', 'h', 'b']) expect(Array.from(f.read(name).data)).toEqual(Array.from(values));
    expect(f.tensors.get('h')?.dtype).toBe('F16');
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('rejects a header that claims more bytes than the file has', () => {
    const file = path.join(dir, 'claim.safetensors');
    handMade(file, { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4), 10_000);
    expect(() => SafetensorsFile.open(file)).toThrow(
      /claim\.safetensors: safetensors header claims 10000 bytes/,
    );
  });

  it('rejects a truncated file naming the tensor', () => {
    const file = path.join(dir, 'trunc.safetensors');
    handMade(file, { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8));
    expect(() => SafetensorsFile.open(file)).toThrow(
      /trunc\.safetensors: tensor "w": data ends at byte 79 but the file has 71 bytes \(truncated file\)/,
    );
    fs.writeFileSync(path.join(dir, 'tiny.safetensors'), Buffer.alloc(3));
    expect(() => SafetensorsFile.open(path.join(dir, 'tiny.safetensors'))).toThrow(
      /truncated safetensors file \(3 bytes/,
    );
  });

  it('rejects an unsupported dtype and an inconsistent byte span', () => {
    const file = path.join(dir, 'dtype.safetensors');
    handMade(file, { w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => SafetensorsFile.open(file)).toThrow(
      /tensor "w": dtype "I64" is not supported \(expected F32, F16 or BF16\)/,
    );
    handMade(file, { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => SafetensorsFile.open(file)).toThrow(
      /tensor "w": data_offsets span 8 bytes but shape \[3\] of F32 needs 12/,
    );
  });

  it('rejects a header that is not JSON', () => {
    const file = path.join(dir, 'json.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(3n);
    fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from('{x}')]));
    expect(() => SafetensorsFile.open(file)).toThrow(
      /json\.safetensors: safetensors header is not valid JSON/,
    );
  });

  it('reads sharded checkpoints through the index and checks shapes', () => {
    const shardDir = fs.mkdtempSync(path.join(dir, 'sharded-'));
    writeSafetensors(path.join(shardDir, 'model-00001-of-00002.safetensors'), [
      ['a', { shape: [2], data: new Float32Array([1, 2]) }],
    ]);
    writeSafetensors(path.join(shardDir, 'model-00002-of-00002.safetensors'), [
      ['b', { shape: [1], data: new Float32Array([3]) }],
    ]);
    fs.writeFileSync(
      path.join(shardDir, 'model.safetensors.index.json'),
      JSON.stringify({
        metadata: {},
        weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
      }),
    );
    const ckpt = SafetensorsCheckpoint.open(shardDir);
    expect(ckpt.names().sort()).toEqual(['a', 'b']);
    expect(Array.from(ckpt.read('b', [1]).data)).toEqual([3]);
    expect(() => ckpt.read('a', [3])).toThrow(
      /model-00001-of-00002\.safetensors: tensor "a" has shape \[2\], expected \[3\]/,
    );
    expect(() => ckpt.read('c', [1])).toThrow(/no tensor "c" \(expected shape \[1\]\)/);
  });

  it('rejects an index that maps a tensor to a shard without it', () => {
    const shardDir = fs.mkdtempSync(path.join(dir, 'badindex-'));
    writeSafetensors(path.join(shardDir, 's1.safetensors'), [
      ['a', { shape: [1], data: new Float32Array([1]) }],
    ]);
    fs.writeFileSync(
      path.join(shardDir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { z: 's1.safetensors' } }),
    );
    expect(() => SafetensorsCheckpoint.open(shardDir)).toThrow(
      /tensor "z" is mapped to s1\.safetensors, which does not contain it/,
    );
  });
});
