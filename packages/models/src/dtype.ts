/**
 * Half-precision conversions for safetensors: IEEE float16 and bfloat16 to and from float32.
 * bfloat16 is the top half of a float32; float16 has 5 exponent bits and 10 mantissa bits.
 */

/** Bytes per element of each supported safetensors dtype. */
export const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2 } as const;
/** A safetensors dtype this package reads and writes. */
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
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

/** Decode little-endian raw bytes of `dtype` into float32. */
export function decodeToF32(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (dtype === 'F32' && LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) {
    out.set(new Float32Array(bytes.buffer, bytes.byteOffset, n));
  } else if (dtype === 'F32') {
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
  } else {
    for (let i = 0; i < n; i++) out[i] = bf16ToF32(view.getUint16(i * 2, true));
  }
  return out;
}

/** Encode float32 values as little-endian raw bytes of `dtype`. */
export function encodeFromF32(data: Float32Array, dtype: SafetensorsDtype): Uint8Array {
  const out = new Uint8Array(data.length * DTYPE_BYTES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (dtype === 'F32') view.setFloat32(i * 4, v, true);
    else if (dtype === 'F16') view.setUint16(i * 2, f32ToF16(v), true);
    else view.setUint16(i * 2, f32ToBf16(v), true);
  }
  return out;
}
