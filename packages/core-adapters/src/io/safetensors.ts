/**
 * A minimal safetensors codec: 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the raw little-endian
 * bytes. Writes F32; reads F32, F16 and BF16 (converted to F32).
 */

/** A named float tensor on the host. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Encode tensors (sorted by name, like the reference implementation) as F32. */
export function encodeSafetensors(
  tensors: Record<string, HostTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // align the data to 8 bytes
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name]!;
    const [begin] = (header[name] as { data_offsets: [number, number] }).data_offsets;
    t.data.forEach((v, i) => view.setFloat32(base + begin + 4 * i, v, true));
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Decode a safetensors buffer; `source` names the file in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
} {
  if (bytes.length < 8)
    throw new Error(`${source}: file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length)
    throw new Error(`${source}: header length ${headerLength} exceeds the file size`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLength)).toString('utf8'));
  } catch (error) {
    throw new Error(`${source}: header is not valid JSON (${error})`);
  }
  const base = 8 + headerLength;
  const tensors: Record<string, HostTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = info as unknown as Record<string, string>;
      continue;
    }
    const count = info.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = info.data_offsets;
    const width = { F32: 4, F16: 2, BF16: 2 }[info.dtype];
    if (!width)
      throw new Error(`${source}: tensor '${name}' has dtype ${info.dtype}; supported: F32, F16, BF16`);
    if (end - begin !== width * count || base + end > bytes.length) {
      throw new Error(
        `${source}: tensor '${name}' offsets [${begin}, ${end}] do not fit shape [${info.shape}] ${info.dtype}`,
      );
    }
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const at = base + begin + width * i;
      if (info.dtype === 'F32') data[i] = view.getFloat32(at, true);
      else if (info.dtype === 'F16') data[i] = halfToFloat(view.getUint16(at, true));
      else {
        const f = new DataView(new ArrayBuffer(4));
        f.setUint32(0, view.getUint16(at, true) << 16);
        data[i] = f.getFloat32(0);
      }
    }
    tensors[name] = { shape: info.shape, data };
  }
  return { tensors, metadata };
}
