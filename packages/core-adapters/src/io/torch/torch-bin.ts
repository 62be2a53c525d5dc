/**
 * PyTorch checkpoints (`torch.save` since PyTorch 1.6: a zip of `<archive>/data.pkl`, the
 * pickled object, and `<archive>/data/<key>`, one raw little-endian file per storage) holding a
 * dict of tensors — what `adapter_model.bin` is. Reading goes through {@link restrictedUnpickle},
 * which runs no code; writing emits the same layout, which `torch.load` reads.
 */
import {
  arrayToBytes,
  bytesToArray,
  checkTensor,
  SAFETENSORS_DTYPE_BYTES,
  type SafetensorsArray,
  type SafetensorsDtype,
  type SafetensorsTensor,
} from '@hydralora/common';
import { unzipSync, zipSync } from 'fflate';
import { type PickledTensor, restrictedUnpickle } from './pickle.js';

const STORAGE_DTYPE: Record<string, SafetensorsDtype> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};
const DTYPE_STORAGE = Object.fromEntries(Object.entries(STORAGE_DTYPE).map(([s, d]) => [d, s])) as Record<
  string,
  string
>;

/** Whether `bytes` start like a zip file (a `torch.save` checkpoint since PyTorch 1.6). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
}

/**
 * Read a `torch.save` checkpoint holding a dict (or OrderedDict) of tensors, without executing
 * any pickle code. Tensors come back contiguous, in their stored dtype. Errors name the file and,
 * where there is one, the tensor.
 */
export function readTorchCheckpoint(
  bytes: Uint8Array,
  file = 'checkpoint.bin',
): Map<string, SafetensorsTensor> {
  if (!isZip(bytes)) {
    throw new Error(
      bytes[0] === 0x80
        ? `${file}: a legacy (pre-1.6) torch.save file; re-save it with a current PyTorch (zip format)`
        : `${file}: not a PyTorch checkpoint (expected a zip archive)`,
    );
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new Error(`${file}: cannot read the zip archive (${(error as Error).message})`);
  }
  const pickleName = Object.keys(entries).find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (!pickleName) throw new Error(`${file}: no <archive>/data.pkl in the zip archive`);
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const root = restrictedUnpickle(entries[pickleName] as Uint8Array, `${file}: ${pickleName}`);
  if (!(root instanceof Map)) throw new Error(`${file}: the checkpoint is not a dict of tensors`);
  const out = new Map<string, SafetensorsTensor>();
  for (const [key, value] of root) {
    if (typeof key !== 'string') throw new Error(`${file}: a key of the state dict is not a string`);
    if ((value as PickledTensor | undefined)?.kind !== 'tensor') {
      throw new Error(`${file}: entry "${key}" is not a tensor`);
    }
    out.set(key, materialize(value as PickledTensor, entries, prefix, `${file}: tensor "${key}"`));
  }
  return out;
}

function materialize(
  t: PickledTensor,
  entries: Record<string, Uint8Array>,
  prefix: string,
  where: string,
): SafetensorsTensor {
  const dtype = STORAGE_DTYPE[t.storage.storageType] as SafetensorsDtype;
  const bytes = entries[`${prefix}data/${t.storage.key}`];
  if (!bytes) throw new Error(`${where}: storage data/${t.storage.key} is missing from the archive`);
  const width = SAFETENSORS_DTYPE_BYTES[dtype];
  if (bytes.byteLength !== t.storage.numel * width) {
    throw new Error(
      `${where}: storage data/${t.storage.key} has ${bytes.byteLength} bytes, expected ${t.storage.numel} × ${width}`,
    );
  }
  const storage = bytesToArray(bytes, dtype);
  const count = t.size.reduce((a, b) => a * b, 1);
  if (t.size.some((d) => d < 0) || t.stride.some((s) => s < 0) || t.storageOffset < 0) {
    throw new Error(`${where}: negative size, stride or offset`);
  }
  const last = t.storageOffset + t.size.reduce((sum, d, i) => sum + (d - 1) * (t.stride[i] as number), 0);
  if (count > 0 && last >= t.storage.numel) {
    throw new Error(
      `${where}: size [${t.size}] with stride [${t.stride}] reads past its storage of ${t.storage.numel}`,
    );
  }
  const data = new (storage.constructor as new (n: number) => SafetensorsArray)(count);
  // Walk the index space in row-major order, keeping the storage index in step.
  const rank = t.size.length;
  const index = new Array<number>(rank).fill(0);
  let at = t.storageOffset;
  for (let i = 0; i < count; i++) {
    (data as unknown as unknown[])[i] = (storage as unknown as unknown[])[at];
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] as number) + 1;
      at += t.stride[d] as number;
      if ((index[d] as number) < (t.size[d] as number)) break;
      at -= (t.size[d] as number) * (t.stride[d] as number);
      index[d] = 0;
    }
  }
  return { dtype, shape: [...t.size], data } as SafetensorsTensor;
}

/** A minimal pickle writer for {@link writeTorchCheckpoint}. */
class PickleWriter {
  private readonly parts: number[] = [];
  private readonly encoder = new TextEncoder();
  op(code: number): this {
    this.parts.push(code);
    return this;
  }
  global(module: string, name: string): this {
    this.op(0x63);
    for (const b of this.encoder.encode(`${module}\n${name}\n`)) this.parts.push(b);
    return this;
  }
  string(value: string): this {
    const bytes = this.encoder.encode(value);
    this.op(0x58).u32(bytes.length);
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  int(value: number): this {
    if (value >= 0 && value < 0x100) return this.op(0x4b).op(value);
    if (value >= 0 && value < 0x10000)
      return this.op(0x4d)
        .op(value & 0xff)
        .op(value >>> 8);
    if (value >= -0x80000000 && value < 0x80000000) return this.op(0x4a).u32(value >>> 0);
    let v = BigInt(value);
    const bytes: number[] = [];
    while (v !== 0n && v !== -1n) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    bytes.push(value < 0 ? 0xff : 0);
    this.op(0x8a).op(bytes.length);
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  tuple(values: number[]): this {
    this.op(0x28);
    for (const v of values) this.int(v);
    return this.op(0x74);
  }
  private u32(value: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((value >>> (8 * i)) & 0xff);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/**
 * Encode tensors as a `torch.save` checkpoint of an OrderedDict (the layout PyTorch writes, read
 * by `torch.load`). Each tensor gets its own storage; `archive` is the zip's top folder.
 */
export function writeTorchCheckpoint(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Readonly<Record<string, SafetensorsTensor>>,
  archive = 'archive',
): Uint8Array {
  const list = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)) as [
    string,
    SafetensorsTensor,
  ][];
  const files: Record<string, Uint8Array> = {};
  const p = new PickleWriter().op(0x80).op(2);
  p.global('collections', 'OrderedDict').op(0x29).op(0x52).op(0x28);
  list.forEach(([name, tensor], i) => {
    checkTensor(name, tensor, archive);
    const storageType = DTYPE_STORAGE[tensor.dtype];
    if (!storageType)
      throw new Error(`${archive}: tensor "${name}": dtype ${tensor.dtype} has no PyTorch storage`);
    const numel = tensor.data.length;
    const stride = tensor.shape.map((_, d) => tensor.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    p.string(name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    p.op(0x28)
      .string('storage')
      .global('torch', storageType)
      .string(String(i))
      .string('cpu')
      .int(numel)
      .op(0x74);
    p.op(0x51).int(0).tuple(tensor.shape).tuple(stride).op(0x89);
    p.global('collections', 'OrderedDict').op(0x29).op(0x52).op(0x74).op(0x52);
    files[`${archive}/data/${i}`] = arrayToBytes(tensor.data as SafetensorsArray).slice();
  });
  p.op(0x75).op(0x2e);
  return zipSync(
    { [`${archive}/data.pkl`]: p.bytes(), [`${archive}/version`]: new TextEncoder().encode('3\n'), ...files },
    { level: 0 },
  );
}
