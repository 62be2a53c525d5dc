/**
 * Safetensors model files on disk, through the one codec of `@hydralora/common` (which checks
 * headers as strictly as the reference library: contiguous, non-overlapping offsets, unique
 * keys, known dtypes, the data ending exactly at the end of the file).
 *
 * Reading is tensor by tensor, at file offsets, so a multi-gigabyte checkpoint never sits in
 * memory twice. Sharded checkpoints (`model.safetensors.index.json`) map names to shard files,
 * which must lie inside the model folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  arrayToBytes,
  bytesToArray,
  encodeSafetensorsHeader,
  type FloatDtype,
  fromFloat32,
  parseSafetensorsHeader,
  readHeaderLength,
  readJsonFileSync,
  SAFETENSORS_DTYPE_BYTES,
  type SafetensorsDtype,
  toFloat32,
  writeChunksAtomicSync,
} from '@hydralora/common';

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
      const headerLength = readHeaderLength(readAt(fd, 0, Math.min(8, size), file), size, { file });
      const header = parseSafetensorsHeader(readAt(fd, 8, headerLength, file), size - 8 - headerLength, {
        file,
      });
      const dataStart = 8 + headerLength;
      const tensors = new Map<string, TensorInfo>();
      for (const [name, entry] of header.entries) {
        const [begin, end] = entry.dataOffsets;
        tensors.set(name, {
          dtype: entry.dtype,
          shape: entry.shape,
          offset: dataStart + begin,
          byteLength: end - begin,
        });
      }
      return new SafetensorsFile(file, tensors, header.metadata);
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
      const values = bytesToArray(readAt(fd, info.offset, info.byteLength, this.file), info.dtype);
      const data = info.dtype === 'F32' ? (values as Float32Array) : toFloat32(values, info.dtype);
      return { shape: [...info.shape], data };
    } finally {
      fs.closeSync(fd);
    }
  }
}

function openOrThrow(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (error) {
    throw new Error(`${file}: cannot open (${(error as Error).message})`);
  }
}

function readAt(fd: number, position: number, length: number, file: string): Uint8Array {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}

/** The sharded-checkpoint index `model.safetensors.index.json`. */
export const INDEX_FILE = 'model.safetensors.index.json';

/**
 * The shard files of an index's `weight_map`, resolved against `dir`: each must be a relative
 * path that stays inside `dir` (no `..` escape, no absolute path), else the error names the
 * index file, the tensor and the path.
 */
export function resolveShardPath(dir: string, index: string, name: string, shard: unknown): string {
  if (typeof shard !== 'string' || shard === '') {
    throw new Error(`${index}: field "weight_map.${name}" is ${JSON.stringify(shard)}; expected a file name`);
  }
  const root = path.resolve(dir);
  const resolved = path.resolve(root, shard);
  const relative = path.relative(root, resolved);
  if (path.isAbsolute(shard) || relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(
      `${index}: field "weight_map.${name}" points to ${JSON.stringify(shard)}, outside the model folder ${root}`,
    );
  }
  return resolved;
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
    const index = path.join(dir, INDEX_FILE);
    if (fs.existsSync(single)) {
      ckpt.add(SafetensorsFile.open(single));
    } else if (fs.existsSync(index)) {
      const weightMap = (readJsonFileSync(index) as { weight_map?: unknown } | null)?.weight_map;
      if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
        throw new Error(`${index}: field "weight_map" must be an object of tensor name → shard file`);
      }
      const shards = new Map<string, SafetensorsFile>();
      for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
        const shardPath = resolveShardPath(dir, index, name, shard);
        let file = shards.get(shardPath);
        if (!file) {
          file = SafetensorsFile.open(shardPath);
          shards.set(shardPath, file);
        }
        if (!file.tensors.has(name)) {
          throw new Error(`${index}: tensor "${name}" is mapped to ${shard}, which does not contain it`);
        }
        ckpt.files.set(file.file, file);
        ckpt.owner.set(name, file);
      }
    } else {
      throw new Error(`${dir}: no model.safetensors or ${INDEX_FILE} found`);
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
  dtype?: FloatDtype;
}

/**
 * Write tensors to `file` in safetensors format, atomically (temporary file + fsync + rename).
 * Tensors are converted and written one by one, in the given order, so only one tensor's bytes
 * are held at a time.
 */
export function writeSafetensors(
  file: string,
  tensors: Iterable<[string, TensorToWrite]> | Map<string, TensorToWrite>,
  metadata: Record<string, string> = { format: 'pt' },
): void {
  const entries = [...tensors];
  for (const [name, t] of entries) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new Error(
        `${file}: tensor "${name}" has ${t.data.length} values but shape [${t.shape}] needs ${numel}`,
      );
    }
    if (!Object.hasOwn(SAFETENSORS_DTYPE_BYTES, t.dtype ?? 'F32')) {
      throw new Error(`${file}: tensor "${name}": dtype ${JSON.stringify(t.dtype)} is not supported`);
    }
  }
  const header = encodeSafetensorsHeader(
    entries.map(([name, t]) => [name, { dtype: t.dtype ?? 'F32', shape: t.shape }] as const),
    metadata,
    { file },
  );
  writeChunksAtomicSync(
    file,
    (function* () {
      yield header.bytes;
      for (const [, t] of entries) yield arrayToBytes(fromFloat32(t.data, t.dtype ?? 'F32'));
    })(),
  );
}
