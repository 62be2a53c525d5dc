/**
 * Whole-buffer safetensors reading and writing on top of {@link parseSafetensorsHeader} and
 * {@link encodeSafetensorsHeader}. For files too large to hold twice, read the header with
 * those two functions and each tensor at its offset instead.
 */
import {
  arrayToBytes,
  bytesToArray,
  matchesDtype,
  type SafetensorsArray,
  type SafetensorsArrayTypes,
  type SafetensorsDtype,
} from './dtype.js';
import { SafetensorsError } from './errors.js';
import {
  encodeSafetensorsHeader,
  parseSafetensorsHeader,
  readHeaderLength,
  type SafetensorsReadOptions,
} from './header.js';

/** A tensor: its dtype, shape and elements (a typed array of the dtype, see `SafetensorsArrayTypes`). */
export interface SafetensorsTensor<D extends SafetensorsDtype = SafetensorsDtype> {
  dtype: D;
  shape: number[];
  data: SafetensorsArrayTypes[D];
}

/** The content of a safetensors file. */
export interface SafetensorsContent {
  metadata: Record<string, string>;
  /** Tensors in the order of their data in the file. */
  tensors: Map<string, SafetensorsTensor>;
}

/** Parse and validate a whole safetensors file held in memory; each tensor's data is a copy. */
export function parseSafetensors(
  bytes: Uint8Array,
  options: SafetensorsReadOptions = {},
): SafetensorsContent {
  const headerLength = readHeaderLength(bytes, bytes.byteLength, options);
  const header = parseSafetensorsHeader(
    bytes.subarray(8, 8 + headerLength),
    bytes.byteLength - 8 - headerLength,
    options,
  );
  const base = 8 + headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of header.entries) {
    const [begin, end] = entry.dataOffsets;
    tensors.set(name, {
      dtype: entry.dtype,
      shape: entry.shape,
      data: bytesToArray(bytes.subarray(base + begin, base + end), entry.dtype),
    });
  }
  return { metadata: header.metadata, tensors };
}

/** Check that a tensor's data has the dtype's array type and the shape's element count. */
export function checkTensor(name: string, tensor: SafetensorsTensor, file = 'safetensors'): void {
  if (!matchesDtype(tensor.data, tensor.dtype)) {
    throw new SafetensorsError(
      'InvalidTensorData',
      file,
      `data is a ${(tensor.data as object)?.constructor?.name ?? typeof tensor.data}, not the array type of ${tensor.dtype}`,
      name,
    );
  }
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new SafetensorsError(
      'InvalidTensorData',
      file,
      `has ${tensor.data.length} values but shape [${tensor.shape}] needs ${count}`,
      name,
    );
  }
}

/**
 * Encode tensors (sorted by name) and optional metadata as a safetensors file. Each tensor's
 * data must be the typed array of its dtype (see `SafetensorsArrayTypes`; `fromFloat32` converts).
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Readonly<Record<string, SafetensorsTensor>>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)) as [
    string,
    SafetensorsTensor,
  ][];
  list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, tensor] of list) checkTensor(name, tensor);
  const header = encodeSafetensorsHeader(list, metadata);
  const out = new Uint8Array(header.bytes.byteLength + header.dataByteLength);
  out.set(header.bytes, 0);
  let at = header.bytes.byteLength;
  for (const [, tensor] of list) {
    const bytes = arrayToBytes(tensor.data as SafetensorsArray);
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}
