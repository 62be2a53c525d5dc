/**
 * Safetensors, read and written by hand. The format: an 8-byte little-endian header length N,
 * N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {...}}`,
 * then the raw little-endian tensor bytes (offsets are relative to the end of the header).
 *
 * Reading is tensor by tensor, at file offsets, so a multi-gigabyte checkpoint never sits in
 * memory twice. Sharded checkpoints (`model.safetensors.index.json`) map names to shard files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DTYPE_BYTES, decodeToF32, encodeFromF32, type SafetensorsDtype } from './dtype.js';

/** One tensor's entry in a safetensors header. */
export interface TensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offset of the tensor's data within the file (absolute). */
  offset: number;
  byteLength: number;
}

/** A float32 tensor read from (or written to) safetensors. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** An open safetensors file whose header has been parsed and checked against the file size. */
export class SafetensorsFile {
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  private constructor(
    readonly file: string,
    tensors: Map<string, TensorInfo>,
    metadata: Record<string, string>,
  ) {
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Parse and validate the header of `file` (reads only the header). */
  static open(file: string): SafetensorsFile {
    const fd = openOrThrow(file);
    try {
      const size = fs.fstatSync(fd).size;
      if (size < 8)
        throw new Error(`${file}: truncated safetensors file (${size} bytes, expected at least 8)`);
      const lenBuf = readAt(fd, 0, 8);
      const headerLen = Number(new DataView(lenBuf.buffer, lenBuf.byteOffset, 8).getBigUint64(0, true));
      if (headerLen > size - 8) {
        throw new Error(
          `${file}: safetensors header claims ${headerLen} bytes but the file has only ${size - 8} after the length prefix (truncated or not a safetensors file)`,
        );
      }
      if (headerLen > MAX_HEADER_BYTES)
        throw new Error(`${file}: safetensors header of ${headerLen} bytes is too large`);
      let header: unknown;
      try {
        header = JSON.parse(new TextDecoder().decode(readAt(fd, 8, headerLen)));
      } catch (error) {
        throw new Error(`${file}: safetensors header is not valid JSON (${(error as Error).message})`);
      }
      if (header === null || typeof header !== 'object' || Array.isArray(header)) {
        throw new Error(`${file}: safetensors header must be a JSON object`);
      }
      const dataStart = 8 + headerLen;
      const tensors = new Map<string, TensorInfo>();
      let metadata: Record<string, string> = {};
      for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
        if (name === '__metadata__') {
          metadata = (raw ?? {}) as Record<string, string>;
          continue;
        }
        tensors.set(name, parseEntry(file, name, raw, dataStart, size));
      }
      return new SafetensorsFile(file, tensors, metadata);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Read one tensor, converted to float32. */
  read(name: string): HostTensor {
    const info = this.tensors.get(name);
    if (!info) throw new Error(`${this.file}: no tensor named "${name}"`);
    const fd = openOrThrow(this.file);
    try {
      const bytes = readAt(fd, info.offset, info.byteLength);
      return { shape: [...info.shape], data: decodeToF32(bytes, info.dtype) };
    } finally {
      fs.closeSync(fd);
    }
  }
}

function parseEntry(file: string, name: string, raw: unknown, dataStart: number, size: number): TensorInfo {
  const where = `${file}: tensor "${name}"`;
  if (raw === null || typeof raw !== 'object') throw new Error(`${where}: header entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw new Error(`${where}: dtype ${JSON.stringify(dtype)} is not supported (expected F32, F16 or BF16)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${where}: shape ${JSON.stringify(shape)} must be an array of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new Error(
      `${where}: data_offsets ${JSON.stringify(offsets)} must be [begin, end] with begin ≤ end`,
    );
  }
  const dt = dtype as SafetensorsDtype;
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const byteLength = (offsets[1] as number) - (offsets[0] as number);
  if (byteLength !== numel * DTYPE_BYTES[dt]) {
    throw new Error(
      `${where}: data_offsets span ${byteLength} bytes but shape [${shape}] of ${dt} needs ${numel * DTYPE_BYTES[dt]}`,
    );
  }
  const offset = dataStart + (offsets[0] as number);
  if (offset + byteLength > size) {
    throw new Error(
      `${where}: data ends at byte ${offset + byteLength} but the file has ${size} bytes (truncated file)`,
    );
  }
  return { dtype: dt, shape: shape as number[], offset, byteLength };
}

function openOrThrow(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (error) {
    throw new Error(`${file}: cannot open (${(error as Error).message})`);
  }
}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}

/**
 * A checkpoint made of one or several safetensors files: `model.safetensors`, or the shards
 * listed by `model.safetensors.index.json` (`{"weight_map": {name: shardFile}}`).
 */
export class SafetensorsCheckpoint {
  private readonly files = new Map<string, SafetensorsFile>();
  private readonly owner = new Map<string, SafetensorsFile>();

  private constructor(readonly dir: string) {}

  /** Open the weights of the model directory `dir`. */
  static open(dir: string): SafetensorsCheckpoint {
    const ckpt = new SafetensorsCheckpoint(dir);
    const single = path.join(dir, 'model.safetensors');
    const index = path.join(dir, 'model.safetensors.index.json');
    if (fs.existsSync(single)) {
      ckpt.add(SafetensorsFile.open(single));
    } else if (fs.existsSync(index)) {
      let weightMap: unknown;
      try {
        weightMap = (JSON.parse(fs.readFileSync(index, 'utf8')) as { weight_map?: unknown }).weight_map;
      } catch (error) {
        throw new Error(`${index}: not valid JSON (${(error as Error).message})`);
      }
      if (weightMap === null || typeof weightMap !== 'object') {
        throw new Error(`${index}: field "weight_map" must be an object of tensor name → shard file`);
      }
      const shards = new Map<string, SafetensorsFile>();
      for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
        if (typeof shard !== 'string') {
          throw new Error(
            `${index}: field "weight_map.${name}" is ${JSON.stringify(shard)}; expected a file name`,
          );
        }
        let file = shards.get(shard);
        if (!file) {
          file = SafetensorsFile.open(path.join(dir, shard));
          shards.set(shard, file);
        }
        if (!file.tensors.has(name)) {
          throw new Error(`${index}: tensor "${name}" is mapped to ${shard}, which does not contain it`);
        }
        ckpt.files.set(file.file, file);
        ckpt.owner.set(name, file);
      }
    } else {
      throw new Error(`${dir}: no model.safetensors or model.safetensors.index.json found`);
    }
    return ckpt;
  }

  private add(file: SafetensorsFile): void {
    this.files.set(file.file, file);
    for (const name of file.tensors.keys()) this.owner.set(name, file);
  }

  /** Names of every tensor in the checkpoint. */
  names(): string[] {
    return [...this.owner.keys()];
  }

  /** Header info of a tensor, or undefined. */
  info(name: string): (TensorInfo & { file: string }) | undefined {
    const file = this.owner.get(name);
    const info = file?.tensors.get(name);
    return file && info ? { ...info, file: file.file } : undefined;
  }

  /** Read a tensor as float32, checking its shape when `expectedShape` is given. */
  read(name: string, expectedShape?: readonly number[]): HostTensor {
    const file = this.owner.get(name);
    if (!file)
      throw new Error(
        `${this.dir}: checkpoint has no tensor "${name}"${expectedShape ? ` (expected shape [${expectedShape}])` : ''}`,
      );
    const info = file.tensors.get(name) as TensorInfo;
    if (expectedShape && !sameShape(info.shape, expectedShape)) {
      throw new Error(
        `${file.file}: tensor "${name}" has shape [${info.shape}], expected [${expectedShape}]`,
      );
    }
    return file.read(name);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A tensor to write: float32 values, stored as `dtype` (default F32). */
export interface TensorToWrite extends HostTensor {
  dtype?: SafetensorsDtype;
}

/**
 * Write tensors to `file` in safetensors format, atomically (temporary file + rename). Tensors
 * are written one by one; `tensors` may be a lazy iterable of names to avoid holding all data.
 */
export function writeSafetensors(
  file: string,
  tensors: Iterable<[string, TensorToWrite]> | Map<string, TensorToWrite>,
  metadata: Record<string, string> = { format: 'pt' },
): void {
  const entries = [...tensors];
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of entries) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new Error(
        `${file}: tensor "${name}" has ${t.data.length} values but shape [${t.shape}] needs ${numel}`,
      );
    }
    const dtype = t.dtype ?? 'F32';
    const bytes = numel * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, prefix);
    fs.writeSync(fd, headerBytes);
    for (const [, t] of entries) fs.writeSync(fd, encodeFromF32(t.data, t.dtype ?? 'F32'));
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/** Write a text file atomically (temporary file + rename). */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}
