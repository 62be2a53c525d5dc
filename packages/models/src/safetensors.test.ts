import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
      /claim\.safetensors: header length 10000 runs past the end of the file/,
    );
  });

  it('rejects a truncated file naming the tensor', () => {
    const file = path.join(dir, 'trunc.safetensors');
    handMade(file, { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8));
    expect(() => SafetensorsFile.open(file)).toThrow(
      /trunc\.safetensors: tensor "w": data ends at byte 16 of the data section but the file holds only 8 after the header \(truncated file\)/,
    );
    fs.writeFileSync(path.join(dir, 'tiny.safetensors'), Buffer.alloc(3));
    expect(() => SafetensorsFile.open(path.join(dir, 'tiny.safetensors'))).toThrow(
      /tiny\.safetensors: file is 3 bytes/,
    );
  });

  it('rejects an unsupported dtype and an inconsistent byte span', () => {
    const file = path.join(dir, 'dtype.safetensors');
    handMade(file, { w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16));
    expect(() => SafetensorsFile.open(file)).toThrow(/tensor "w": dtype "F128" is not supported/);
    handMade(file, { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => SafetensorsFile.open(file)).toThrow(
      /tensor "w": data_offsets \[0, 8\] span 8 bytes but shape \[3\] of F32 needs 12/,
    );
  });

  it('rejects a header that is not JSON', () => {
    const file = path.join(dir, 'json.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(3n);
    fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from('{x}')]));
    expect(() => SafetensorsFile.open(file)).toThrow(/json\.safetensors: header is not valid JSON/);
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

  it('reads integer tensors as float32', () => {
    const file = path.join(dir, 'int.safetensors');
    handMade(
      file,
      { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } },
      new Uint8Array(BigInt64Array.from([-3n, 7n]).buffer),
    );
    expect(Array.from(SafetensorsFile.open(file).read('ids').data)).toEqual([-3, 7]);
  });

  it('rejects overlapping tensors and a tensor named twice (issue 12: they loaded silently)', () => {
    const file = path.join(dir, 'overlap.safetensors');
    handMade(
      file,
      {
        'v_proj.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        'k_proj.weight': { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      },
      new Uint8Array(8),
    );
    expect(() => SafetensorsFile.open(file)).toThrow(
      /overlap\.safetensors: tensor "(k|v)_proj\.weight": data_offsets \[0, 8\] overlap the previous tensor/,
    );
    const dup = path.join(dir, 'dup.safetensors');
    const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const json = Buffer.from(`{"w":${entry},"w":${entry}}`);
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    fs.writeFileSync(dup, Buffer.concat([prefix, json, Buffer.alloc(4)]));
    expect(() => SafetensorsFile.open(dup)).toThrow(/dup\.safetensors: header names key "w" twice/);
  });

  it('rejects weight_map paths outside the model folder, naming the index, the key and the path', () => {
    const root = fs.mkdtempSync(path.join(dir, 'escape-'));
    const modelDir = path.join(root, 'model');
    fs.mkdirSync(modelDir);
    writeSafetensors(path.join(root, 'outside.safetensors'), [
      ['a', { shape: [1], data: new Float32Array([1]) }],
    ]);
    const index = path.join(modelDir, 'model.safetensors.index.json');
    for (const bad of [
      '../outside.safetensors',
      '../../../../etc/passwd',
      '/etc/passwd',
      '.',
      'sub/../../x',
    ]) {
      fs.writeFileSync(index, JSON.stringify({ weight_map: { a: bad } }));
      expect(() => SafetensorsCheckpoint.open(modelDir), bad).toThrow(
        `${index}: field "weight_map.a" points to ${JSON.stringify(bad)}, outside the model folder`,
      );
    }
    fs.writeFileSync(index, JSON.stringify({ weight_map: { a: 7 } }));
    expect(() => SafetensorsCheckpoint.open(modelDir)).toThrow(
      `${index}: field "weight_map.a" is 7; expected a file name`,
    );
    // a shard in a sub-folder of the model folder is fine
    fs.mkdirSync(path.join(modelDir, 'shards'));
    writeSafetensors(path.join(modelDir, 'shards', 's.safetensors'), [
      ['a', { shape: [1], data: new Float32Array([5]) }],
    ]);
    fs.writeFileSync(index, JSON.stringify({ weight_map: { a: 'shards/./s.safetensors' } }));
    expect(Array.from(SafetensorsCheckpoint.open(modelDir).read('a').data)).toEqual([5]);
    fs.writeFileSync(index, '{"weight_map": {"a": "s"}');
    expect(() => SafetensorsCheckpoint.open(modelDir)).toThrow(
      new RegExp(`${index}: invalid JSON at line 1 column`),
    );
  });
});
