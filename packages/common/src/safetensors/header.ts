/**
 * The safetensors header: an 8-byte little-endian length N, then N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`, then the
 * data section (offsets are relative to its start). Validation follows the reference
 * implementation (Rust `safetensors`, `SafeTensors::read_metadata` and `Metadata::validate`):
 * N at most 100,000,000 and inside the file; the header a JSON object (starting with `{`);
 * `__metadata__` a map of strings; every dtype known; tensors, sorted by offsets, contiguous from
 * 0 with no gap or overlap; each byte range exactly shape × dtype size; the last tensor ending at
 * the end of the file. In addition a key repeated in the header is an error (JSON.parse would
 * silently keep the last one).
 */
import { isSafetensorsDtype, SAFETENSORS_DTYPE_BYTES, type SafetensorsDtype } from './dtype.js';
import { SafetensorsError } from './errors.js';
import { findDuplicateKey } from './json-keys.js';

/** The reference implementation's limit on the header length N. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's header entry. */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** A parsed and validated header. */
export interface SafetensorsHeader {
  /** N: the JSON header's length in bytes (the data starts at byte 8 + N). */
  headerLength: number;
  /** The `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
  /** Tensor entries in the order of their data. */
  entries: Map<string, SafetensorsEntry>;
}

/** Options of the readers: `file` names the source in every error (default `safetensors`). */
export interface SafetensorsReadOptions {
  file?: string;
}

/** Check the 8-byte length prefix against the file size; returns N. */
export function readHeaderLength(
  prefix: Uint8Array,
  fileSize: number,
  options: SafetensorsReadOptions = {},
): number {
  const file = options.file ?? 'safetensors';
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError(
      'HeaderTooSmall',
      file,
      `file is ${fileSize} bytes; a safetensors file starts with an 8-byte header length`,
    );
  }
  const big = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      'HeaderTooLarge',
      file,
      `header length ${big} exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`,
    );
  }
  const length = Number(big);
  if (8 + length > fileSize) {
    throw new SafetensorsError(
      'InvalidHeaderLength',
      file,
      `header length ${length} runs past the end of the file (${fileSize} bytes; truncated?)`,
    );
  }
  return length;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parse and validate the JSON header (`headerBytes`, N bytes) of a file whose data section is
 * `dataByteLength` bytes long (file size − 8 − N).
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  dataByteLength: number,
  options: SafetensorsReadOptions = {},
): SafetensorsHeader {
  const file = options.file ?? 'safetensors';
  let text: string;
  try {
    text = decoder.decode(headerBytes);
  } catch {
    throw new SafetensorsError('InvalidHeader', file, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) {
    throw new SafetensorsError(
      'InvalidHeaderStart',
      file,
      `header must start with '{', found ${JSON.stringify(text.slice(0, 8))}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(
      'InvalidHeaderDeserialization',
      file,
      `header is not valid JSON (${(error as Error).message})`,
    );
  }
  if (!isPlainObject(raw))
    throw new SafetensorsError('InvalidHeaderDeserialization', file, 'header must be a JSON object');
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const where = duplicate.path.length ? ` in ${JSON.stringify(duplicate.path.join('.'))}` : '';
    throw new SafetensorsError(
      'DuplicateKey',
      file,
      `header names key ${JSON.stringify(duplicate.key)} twice${where}`,
    );
  }
  let metadata: Record<string, string> = {};
  const unordered: [string, SafetensorsEntry][] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(file, value);
      continue;
    }
    unordered.push([name, parseEntry(file, name, value)]);
  }
  unordered.sort(
    ([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let end = 0;
  let last: string | undefined;
  for (const [name, entry] of unordered) {
    const [begin, stop] = entry.dataOffsets;
    if (begin !== end || stop < begin) {
      throw new SafetensorsError(
        'InvalidOffset',
        file,
        `data_offsets [${begin}, ${stop}] ${stop < begin ? 'end before they begin' : begin < end ? `overlap the previous tensor, which ends at ${end}` : `leave a gap after the previous tensor, which ends at ${end}`} (offsets must be contiguous from 0, in order, without overlap)`,
        name,
      );
    }
    let count = 1;
    for (const d of entry.shape) count *= d;
    const expected = count * SAFETENSORS_DTYPE_BYTES[entry.dtype];
    if (!Number.isSafeInteger(expected)) {
      throw new SafetensorsError('ValidationOverflow', file, `shape [${entry.shape}] is too large`, name);
    }
    if (stop - begin !== expected) {
      throw new SafetensorsError(
        'TensorInvalidInfo',
        file,
        `data_offsets [${begin}, ${stop}] span ${stop - begin} bytes but shape [${entry.shape}] of ${entry.dtype} needs ${expected}`,
        name,
      );
    }
    end = stop;
    last = name;
  }
  if (end > dataByteLength) {
    throw new SafetensorsError(
      'MetadataIncompleteBuffer',
      file,
      `data ends at byte ${end} of the data section but the file holds only ${dataByteLength} after the header (truncated file)`,
      last,
    );
  }
  if (end < dataByteLength) {
    throw new SafetensorsError(
      'MetadataIncompleteBuffer',
      file,
      `the tensors cover ${end} bytes of data but the file holds ${dataByteLength} after the header (trailing bytes)`,
    );
  }
  return { headerLength: headerBytes.byteLength, metadata, entries: new Map(unordered) };
}

function parseMetadata(file: string, value: unknown): Record<string, string> {
  if (value === null) return {};
  if (!isPlainObject(value)) {
    throw new SafetensorsError(
      'InvalidMetadata',
      file,
      `"__metadata__" must be an object of strings, got ${JSON.stringify(value)}`,
    );
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        'InvalidMetadata',
        file,
        `"__metadata__.${key}" must be a string, got ${JSON.stringify(v)}`,
      );
    }
  }
  return value as Record<string, string>;
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseEntry(file: string, name: string, value: unknown): SafetensorsEntry {
  if (!isPlainObject(value)) {
    throw new SafetensorsError(
      'InvalidTensorEntry',
      file,
      `header entry must be an object, got ${JSON.stringify(value)}`,
      name,
    );
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDtype(dtype)) {
    throw new SafetensorsError(
      'UnknownDtype',
      file,
      `dtype ${JSON.stringify(dtype)} is not supported (expected one of ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')})`,
      name,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new SafetensorsError(
      'InvalidTensorEntry',
      file,
      `shape ${JSON.stringify(shape)} must be an array of non-negative integers`,
      name,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw new SafetensorsError(
      'InvalidTensorEntry',
      file,
      `data_offsets ${JSON.stringify(offsets)} must be [begin, end], two non-negative integers`,
      name,
    );
  }
  return { dtype, shape: shape as number[], dataOffsets: [offsets[0] as number, offsets[1] as number] };
}

/** A tensor's description for {@link encodeSafetensorsHeader}. */
export interface SafetensorsSpec {
  dtype: SafetensorsDtype;
  shape: readonly number[];
}

/**
 * The first 8 + N bytes of a file holding `specs` in the given order: the length prefix and the
 * JSON header (with `__metadata__` first when given), padded with spaces so the data starts at a
 * multiple of 8. `entries` gives each tensor's data offsets; the data section is `dataByteLength`.
 */
export function encodeSafetensorsHeader(
  specs: Iterable<readonly [string, SafetensorsSpec]>,
  metadata?: Record<string, string>,
  options: SafetensorsReadOptions = {},
): { bytes: Uint8Array; entries: Map<string, SafetensorsEntry>; dataByteLength: number } {
  const file = options.file ?? 'safetensors';
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = parseMetadata(file, metadata);
  const entries = new Map<string, SafetensorsEntry>();
  let offset = 0;
  for (const [name, spec] of specs) {
    if (name === '__metadata__' || entries.has(name)) {
      throw new SafetensorsError(
        'DuplicateKey',
        file,
        name === '__metadata__' ? 'name is reserved' : 'given twice',
        name,
      );
    }
    if (!isSafetensorsDtype(spec.dtype)) {
      throw new SafetensorsError(
        'UnknownDtype',
        file,
        `dtype ${JSON.stringify(spec.dtype)} is not supported`,
        name,
      );
    }
    if (!spec.shape.every(isIndex)) {
      throw new SafetensorsError(
        'InvalidTensorEntry',
        file,
        `shape [${spec.shape}] must hold non-negative integers`,
        name,
      );
    }
    const bytes = spec.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[spec.dtype];
    const entry: SafetensorsEntry = {
      dtype: spec.dtype,
      shape: [...spec.shape],
      dataOffsets: [offset, offset + bytes],
    };
    entries.set(name, entry);
    header[name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: entry.dataOffsets };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.from(' '.repeat(pad))]);
  const bytes = new Uint8Array(8 + json.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  bytes.set(json, 8);
  return { bytes, entries, dataByteLength: offset };
}
