/**
 * @hydralora/common — the one home of the helpers every hydralora package shares: atomic file
 * writes and JSON reading with clear errors, a strict safetensors codec, the seeded random
 * generator, schema-error messages and the instruction prompt template. No tfjs dependency.
 *
 * @packageDocumentation
 */
export {
  removeStaleTempFiles,
  TEMP_MARKER,
  tempPathFor,
  writeChunksAtomicSync,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from './fs/atomic.js';
export { errnoCode, FileError } from './fs/io-error.js';
export { lineColumn, parseJsonText, readJsonFile, readJsonFileSync } from './fs/json.js';
export {
  formatInstructionPrompt,
  INSTRUCTION_TEMPLATE,
  type InstructionExample,
  instructionText,
  type PromptTemplate,
  promptUserText,
} from './prompt/instruction.js';
export { hashUnit, stableHash } from './random/hash.js';
export { mulberry32, mulberry32Step } from './random/mulberry32.js';
export { createRng, type Rng, shuffleWith } from './random/rng.js';
export {
  checkTensor,
  parseSafetensors,
  type SafetensorsContent,
  type SafetensorsTensor,
  serializeSafetensors,
} from './safetensors/codec.js';
export {
  arrayToBytes,
  bf16ToF32,
  bytesToArray,
  type FloatDtype,
  f16ToF32,
  f32ToBf16,
  f32ToF16,
  fromFloat32,
  isSafetensorsDtype,
  matchesDtype,
  SAFETENSORS_DTYPE_BYTES,
  type SafetensorsArray,
  type SafetensorsArrayTypes,
  type SafetensorsDtype,
  toFloat32,
} from './safetensors/dtype.js';
export { SafetensorsError, type SafetensorsErrorCode } from './safetensors/errors.js';
export {
  encodeSafetensorsHeader,
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readHeaderLength,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsReadOptions,
  type SafetensorsSpec,
} from './safetensors/header.js';
export { findDuplicateKey } from './safetensors/json-keys.js';
export {
  formatFieldPath,
  formatSchemaError,
  formatValue,
  parseWithSchema,
  SchemaError,
  type SchemaErrorContext,
  type SchemaErrorLike,
  type SchemaIssueLike,
} from './schema/format-error.js';
