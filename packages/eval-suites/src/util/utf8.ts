import { isUtf8 } from 'node:buffer';

/**
 * The offset where the first ill-formed UTF-8 sequence starts (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence), or -1 when all of `bytes` is valid.
 */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b < 0x80) length = 1;
    else if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || (k === 1 ? c < low || c > high : c < 0x80 || c > 0xbf)) return i;
    }
    i += length;
  }
  return -1;
}

/** Decodes UTF-8; invalid bytes throw naming `file`, the byte offset and the line. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  const bad = firstInvalidUtf8Byte(bytes);
  if (bad !== -1) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    const hex = (bytes[bad] as number).toString(16).padStart(2, '0');
    throw new Error(`${file}: not valid UTF-8 (byte 0x${hex} at offset ${bad}, line ${line})`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
