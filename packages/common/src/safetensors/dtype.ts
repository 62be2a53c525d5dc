/**
 * The safetensors dtypes this codec reads and writes, their sizes and typed-array views, and
 * float16/bfloat16 conversions. Data is little-endian, as the format requires.
 */

/** Bytes per element of each supported dtype. */
export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

/** A safetensors dtype name (`F32`, `BF16`, `I64`, …). */
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** Whether `name` is a dtype this codec supports. */
export function isSafetensorsDtype(name: unknown): name is SafetensorsDtype {
  return typeof name === 'string' && Object.hasOwn(SAFETENSORS_DTYPE_BYTES, name);
}

/**
 * The typed array holding each dtype's elements: floats as their JS type, F16/BF16 as their raw
 * 16-bit patterns (Uint16Array; see {@link toFloat32}), BOOL and 8-bit floats as bytes.
 */
export interface SafetensorsArrayTypes {
  BOOL: Uint8Array;
  U8: Uint8Array;
  I8: Int8Array;
  F8_E4M3: Uint8Array;
  F8_E5M2: Uint8Array;
  I16: Int16Array;
  U16: Uint16Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I32: Int32Array;
  U32: Uint32Array;
  F32: Float32Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
  F64: Float64Array;
}

/** Any of the typed arrays of {@link SafetensorsArrayTypes}. */
export type SafetensorsArray = SafetensorsArrayTypes[SafetensorsDtype];

type ArrayConstructorOf = new (buffer: ArrayBuffer, byteOffset: number, length: number) => SafetensorsArray;

const ARRAY_TYPES: Record<SafetensorsDtype, ArrayConstructorOf> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  F8_E4M3: Uint8Array,
  F8_E5M2: Uint8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  F64: Float64Array,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of little-endian `bytes` as the typed array of `dtype`. */
export function bytesToArray<D extends SafetensorsDtype>(
  bytes: Uint8Array,
  dtype: D,
): SafetensorsArrayTypes[D] {
  if (!LITTLE_ENDIAN) throw new Error('safetensors: big-endian hosts are not supported');
  const copy = new Uint8Array(bytes.byteLength); // not bytes.slice(): a Buffer's slice is a view
  copy.set(bytes);
  const width = SAFETENSORS_DTYPE_BYTES[dtype];
  return new ARRAY_TYPES[dtype](copy.buffer, 0, copy.byteLength / width) as SafetensorsArrayTypes[D];
}

/** The little-endian bytes of a typed array (a view, no copy). */
export function arrayToBytes(array: SafetensorsArray): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error('safetensors: big-endian hosts are not supported');
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Whether `array` is the typed array that `dtype` uses. */
export function matchesDtype(array: unknown, dtype: SafetensorsDtype): boolean {
  return array instanceof ARRAY_TYPES[dtype];
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float16 bits → float32 value (subnormals, infinities and NaN included). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 value → float16 bits, rounding to nearest even; overflow gives ±Infinity. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) {
    half++;
    if (half === 0x400) {
      half = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | half;
}

/** bfloat16 bits → float32 value (exact). */
export function bf16ToF32(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0] as number;
}

/** float32 value → bfloat16 bits, rounding to nearest even (NaN stays NaN). */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** The dtypes {@link toFloat32} and {@link fromFloat32} convert. */
export type FloatDtype = 'F16' | 'BF16' | 'F32' | 'F64';

/**
 * Elements of `dtype` as float32: F16/BF16 bit patterns decoded, integers converted (64-bit ones
 * through Number), F32 copied. 8-bit floats are not converted (an error).
 */
export function toFloat32(data: SafetensorsArray, dtype: SafetensorsDtype): Float32Array {
  if (!matchesDtype(data, dtype)) throw new TypeError(`toFloat32: data is not the array type of ${dtype}`);
  const out = new Float32Array(data.length);
  if (dtype === 'F16') for (let i = 0; i < out.length; i++) out[i] = f16ToF32(data[i] as number);
  else if (dtype === 'BF16') for (let i = 0; i < out.length; i++) out[i] = bf16ToF32(data[i] as number);
  else if (dtype === 'F8_E4M3' || dtype === 'F8_E5M2')
    throw new Error(`toFloat32: ${dtype} is stored as raw bytes; converting it is not supported`);
  else if (dtype === 'I64' || dtype === 'U64')
    for (let i = 0; i < out.length; i++) out[i] = Number(data[i] as bigint);
  else out.set(data as ArrayLike<number>);
  return out;
}

/** float32 (or float64) values as the typed array of a float dtype, rounding to nearest even. */
export function fromFloat32<D extends FloatDtype>(
  values: Float32Array | Float64Array,
  dtype: D,
): SafetensorsArrayTypes[D] {
  if (dtype === 'F32') return Float32Array.from(values) as SafetensorsArrayTypes[D];
  if (dtype === 'F64') return Float64Array.from(values) as SafetensorsArrayTypes[D];
  const out = new Uint16Array(values.length);
  const convert = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < out.length; i++) out[i] = convert(values[i] as number);
  return out as SafetensorsArrayTypes[D];
}
