/**
 * Float32 host tensors to and from safetensors bytes, through the one codec of
 * `@hydralora/common` (strict validation as the reference library). Writing stores F32; reading
 * converts any numeric dtype (F16, BF16, F64, integers) to F32.
 */
import { parseSafetensors, type SafetensorsTensor, serializeSafetensors, toFloat32 } from '@hydralora/common';

/** A named float tensor on the host. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Encode tensors (sorted by name) as F32, with `metadata` as `__metadata__`. */
export function encodeSafetensors(
  tensors: Record<string, HostTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const typed: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of Object.entries(tensors))
    typed[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  return serializeSafetensors(typed, metadata);
}

/** Decode a safetensors buffer into float32 tensors; `source` names the file in errors. */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
} {
  const content = parseSafetensors(bytes, { file: source });
  const tensors: Record<string, HostTensor> = {};
  for (const [name, t] of content.tensors) {
    tensors[name] = {
      shape: t.shape,
      data: t.dtype === 'F32' ? (t.data as Float32Array) : toFloat32(t.data, t.dtype),
    };
  }
  return { tensors, metadata: content.metadata };
}
