/**
 * One shape for every file-system error this package raises: the message names the path, the
 * operation and the errno code (`ENOSPC`, `EACCES`, …); `code` and `cause` keep the original.
 */
export class FileError extends Error {
  /** The errno code of the failure (`ENOENT`, `ENOSPC`, …), when there was one. */
  readonly code: string | undefined;
  /** The file or folder the operation was about. */
  readonly path: string;

  constructor(path: string, what: string, cause?: unknown) {
    const code = errnoCode(cause);
    const detail = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
    super(`${path}: ${what}${code ? ` (${code})` : ''}${detail ? `: ${detail}` : ''}`, { cause });
    this.name = 'FileError';
    this.code = code;
    this.path = path;
  }
}

/** The errno code of a Node.js system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
