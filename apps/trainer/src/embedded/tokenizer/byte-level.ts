/**
 * GPT-2's byte-level alphabet: every byte 0–255 maps to one printable Unicode character, so a
 * BPE vocabulary over these characters can encode any UTF-8 text without an unknown token.
 * Printable Latin-1 bytes map to themselves; the rest (controls, space, …) to U+0100 onwards
 * (space becomes `Ġ`, newline `Ċ`). This is the mapping Hugging Face's ByteLevel
 * pre-tokenizer and decoder use.
 */
function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  const direct = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(direct.has(b) ? b : 256 + next++);
  }
  return table;
}

/** `BYTE_TO_UNICODE[b]` is the character that stands for byte `b`. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** The inverse of {@link BYTE_TO_UNICODE}. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

/**
 * GPT-2's pre-tokenisation pattern (the one the ByteLevel pre-tokenizer applies with
 * `use_regex: true`): contractions, optionally space-prefixed letter runs, digit runs and
 * punctuation runs, and whitespace. Merges never cross these pieces.
 */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Splits text into GPT-2 pieces and writes each piece in the byte-level alphabet. */
export function preTokenize(text: string): string[] {
  const pieces = text.match(GPT2_PATTERN) ?? [];
  return pieces.map(toByteLevel);
}

/** UTF-8 bytes of `text`, one byte-level character per byte. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_TO_UNICODE[b];
  return out;
}

/** The text that a string of byte-level characters stands for (invalid UTF-8 becomes U+FFFD). */
export function fromByteLevel(symbols: string): string {
  const bytes: number[] = [];
  for (const ch of symbols) {
    const b = UNICODE_TO_BYTE.get(ch);
    if (b === undefined) throw new Error(`fromByteLevel: "${ch}" is not a byte-level character`);
    bytes.push(b);
  }
  return decoder.decode(new Uint8Array(bytes));
}
