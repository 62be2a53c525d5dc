/** The errors of the safetensors codec: each names the file and, where there is one, the tensor. */

/**
 * What went wrong; the names follow the reference implementation's (Rust `safetensors`
 * `SafeTensorError`) where it has the same check.
 */
export type SafetensorsErrorCode =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeader'
  | 'InvalidHeaderStart'
  | 'InvalidHeaderDeserialization'
  | 'DuplicateKey'
  | 'InvalidMetadata'
  | 'InvalidTensorEntry'
  | 'UnknownDtype'
  | 'InvalidOffset'
  | 'TensorInvalidInfo'
  | 'ValidationOverflow'
  | 'MetadataIncompleteBuffer'
  | 'InvalidTensorData'
  | 'TensorNotFound';

/** A malformed safetensors file or an invalid tensor to write. */
export class SafetensorsError extends Error {
  readonly code: SafetensorsErrorCode;
  readonly file: string;
  readonly tensor: string | undefined;
  constructor(code: SafetensorsErrorCode, file: string, message: string, tensor?: string) {
    super(`${file}: ${tensor !== undefined ? `tensor ${JSON.stringify(tensor)}: ` : ''}${message}`);
    this.name = 'SafetensorsError';
    this.code = code;
    this.file = file;
    this.tensor = tensor;
  }
}
