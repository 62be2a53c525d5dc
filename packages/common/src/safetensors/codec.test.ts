import { describe, expect, it } from 'vitest';
import { parseSafetensors, serializeSafetensors } from './codec.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, fromFloat32 } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { MAX_HEADER_BYTES } from './header.js';

const FILE = '/models/x/model.safetensors';

/** A file from a raw header text and data bytes (no padding, no validation). */
function build(header: string, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(header);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(body, 8 + json.length);
  return out;
}

const entry = (dtype: string, shape: number[], begin: number, end: number) =>
  `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

function rejects(bytes: Uint8Array, code: string, ...fragments: string[]): void {
  let error: unknown;
  try {
    parseSafetensors(bytes, { file: FILE });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(SafetensorsError);
  expect((error as SafetensorsError).code).toBe(code);
  const message = (error as Error).message;
  expect(message.startsWith(`${FILE}: `)).toBe(true);
  for (const fragment of fragments) expect(message).toContain(fragment);
}

describe('parseSafetensors validation (the reference library rejects each of these)', () => {
  it('accepts a well-formed two-tensor file', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const bytes = build(`{"a":${entry('F32', [2, 2], 0, 16)},"b":${entry('F32', [2], 16, 24)}}`, data);
    const { tensors } = parseSafetensors(bytes, { file: FILE });
    expect(Array.from(tensors.get('a')!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(tensors.get('b')!.data as Float32Array)).toEqual([5, 6]);
  });
  it('a file shorter than the length prefix', () => rejects(new Uint8Array(5), 'HeaderTooSmall', '5 bytes'));
  it('a header length over 100 MB', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    rejects(bytes, 'HeaderTooLarge', '100000001');
  });
  it('a header length past the end of the file', () => {
    const bytes = build('{}');
    new DataView(bytes.buffer).setBigUint64(0, 50n, true);
    rejects(bytes, 'InvalidHeaderLength', 'header length 50');
  });
  it('a header that is not UTF-8', () => {
    const bytes = build('{"a":1}');
    bytes[9] = 0xff;
    rejects(bytes, 'InvalidHeader', 'UTF-8');
  });
  it('a header that does not start with {', () => rejects(build(' []'), 'InvalidHeaderStart'));
  it('a header that is not JSON', () =>
    rejects(build('{"a": '), 'InvalidHeaderDeserialization', 'not valid JSON'));
  it('a tensor named twice (JSON.parse would keep the last silently)', () =>
    rejects(
      build(`{"w":${entry('F32', [1], 0, 4)},"w":${entry('F32', [1], 0, 4)}}`, 4),
      'DuplicateKey',
      '"w"',
    ));
  it('a field repeated inside one entry', () =>
    rejects(
      build(`{"w":{"dtype":"F32","shape":[1],"dtype":"F16","data_offsets":[0,4]}}`, 4),
      'DuplicateKey',
      '"dtype"',
      'in "w"',
    ));
  it('a metadata value that is not a string', () =>
    rejects(build(`{"__metadata__":{"epoch":3}}`), 'InvalidMetadata', '__metadata__.epoch'));
  it('an unknown dtype', () =>
    rejects(build(`{"w":${entry('F128', [1], 0, 16)}}`, 16), 'UnknownDtype', 'tensor "w"', 'F128'));
  it('a negative dimension', () =>
    rejects(build(`{"w":${entry('F32', [-1], 0, 4)}}`, 4), 'InvalidTensorEntry', 'tensor "w"', 'shape [-1]'));
  it('overlapping offsets (k_proj reading v_proj bytes)', () =>
    rejects(
      build(`{"v_proj":${entry('F32', [2], 0, 8)},"k_proj":${entry('F32', [1], 4, 8)}}`, 8),
      'InvalidOffset',
      'tensor "k_proj"',
      'overlap',
    ));
  it('two tensors on the same bytes', () =>
    rejects(
      build(`{"v_proj":${entry('F32', [2], 0, 8)},"k_proj":${entry('F32', [2], 0, 8)}}`, 8),
      'InvalidOffset',
      'overlap',
    ));
  it('a gap between tensors', () =>
    rejects(
      build(`{"a":${entry('F32', [1], 0, 4)},"b":${entry('F32', [1], 8, 12)}}`, 12),
      'InvalidOffset',
      'tensor "b"',
      'gap',
    ));
  it('data that does not start at 0', () =>
    rejects(build(`{"a":${entry('F32', [1], 4, 8)}}`, 8), 'InvalidOffset', 'tensor "a"'));
  it('offsets that end before they begin', () =>
    rejects(
      build(`{"a":${entry('F32', [0], 0, 0)},"b":${entry('F32', [1], 0, -4)}}`, 4),
      'InvalidTensorEntry',
    ));
  it('a byte range that does not match shape × dtype', () =>
    rejects(build(`{"a":${entry('F16', [3], 0, 8)}}`, 8), 'TensorInvalidInfo', 'tensor "a"', 'needs 6'));
  it('trailing bytes after the last tensor', () =>
    rejects(build(`{"a":${entry('F32', [1], 0, 4)}}`, 6), 'MetadataIncompleteBuffer', 'trailing'));
  it('a truncated data section', () =>
    rejects(
      build(`{"a":${entry('F32', [4], 0, 16)}}`, 12),
      'MetadataIncompleteBuffer',
      'tensor "a"',
      'truncated',
    ));
});

describe('serializeSafetensors', () => {
  it('sorts by name, aligns the data to 8 bytes and round-trips every dtype', () => {
    const tensors = new Map([
      ['z', { dtype: 'I64' as const, shape: [2], data: BigInt64Array.from([-5n, 2n ** 60n]) }],
      [
        'a',
        { dtype: 'F16' as const, shape: [3], data: fromFloat32(Float32Array.from([1, -2.5, 65504]), 'F16') },
      ],
      ['m', { dtype: 'BOOL' as const, shape: [1, 2], data: Uint8Array.from([1, 0]) }],
      ['d', { dtype: 'F64' as const, shape: [], data: Float64Array.from([Math.PI]) }],
    ]);
    const bytes = serializeSafetensors(tensors, { format: 'pt' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = parseSafetensors(bytes);
    expect([...back.tensors.keys()]).toEqual(['a', 'd', 'm', 'z']);
    expect(back.metadata).toEqual({ format: 'pt' });
    for (const [name, t] of tensors) expect(back.tensors.get(name), name).toEqual(t);
  });
  it('rejects data of the wrong array type or length, naming the tensor', () => {
    expect(() =>
      serializeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float64Array(2) as never } }),
    ).toThrow(/tensor "w": data is a Float64Array, not the array type of F32/);
    expect(() =>
      serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }),
    ).toThrow(/tensor "w": has 3 values but shape \[2,2\] needs 4/);
  });
});

describe('half-precision conversions', () => {
  it('match the IEEE definitions on every float16 and a sweep of bfloat16 patterns', () => {
    const wrong: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      const sign = h & 0x8000 ? -1 : 1;
      const expected =
        exp === 0
          ? sign * frac * 2 ** -24
          : exp === 31
            ? frac
              ? Number.NaN
              : sign * Infinity
            : sign * 2 ** (exp - 15) * (1 + frac / 1024);
      if (!Object.is(f16ToF32(h), expected)) wrong.push(`f16ToF32(${h})`);
      if (exp !== 31 && f32ToF16(expected) !== h) wrong.push(`f32ToF16(${expected})`);
    }
    for (let b = 0; b < 0x10000; b++) {
      const value = bf16ToF32(b);
      if (!Number.isNaN(value) && f32ToBf16(value) !== b) wrong.push(`f32ToBf16(${value})`);
    }
    expect(wrong).toEqual([]);
    // ties round to even: 1 + 2^-8 lies halfway between two bfloat16 values
    expect(f32ToBf16(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});
