import { parseWithSchema } from '@hydralora/common';
import { z } from 'zod';
import { BYTE_TO_UNICODE, GPT2_PATTERN, toByteLevel } from './byte-level.js';
import { PairHeap } from './max-heap.js';

/** The special tokens of the embedded tokenizer, in id order 0–3. */
export const SPECIAL_TOKENS = { unk: '<unk>', bos: '<s>', eos: '</s>', pad: '<pad>' } as const;

/** A trained byte-level BPE model: everything a Hugging Face `tokenizer.json` needs. */
export interface BpeModel {
  /** Token string of each id: the 4 special tokens, the 256 byte characters, then merged tokens. */
  vocab: string[];
  /**
   * Merges in rank order (rank 0 is applied first). Usually merge i created token `260 + i`;
   * when two pairs spell the same string, the later merge reuses the earlier token.
   */
  merges: [string, string][];
  specialTokens: typeof SPECIAL_TOKENS;
}

/** Options of {@link trainBpe}. */
export const TrainBpeOptionsSchema = z
  .object({
    /** Final vocabulary size including the 4 special tokens and 256 bytes (261–65536). */
    vocabSize: z.number().int().min(261).max(65536).default(4096),
    /** A pair must occur at least this often (weighted by word frequency) to be merged. */
    minFrequency: z.number().int().min(1).default(2),
  })
  .strict();
export type TrainBpeOptions = z.input<typeof TrainBpeOptionsSchema>;

const PAIR_BASE = 65536;

/**
 * Trains a byte-level BPE tokenizer (GPT-2 style) on `texts`.
 *
 * Texts are split with GPT-2's pattern, pieces are counted, and the most frequent adjacent
 * pair (ties: smaller pair key, i.e. older tokens first) is merged until the vocabulary reaches
 * `vocabSize` or no pair occurs `minFrequency` times. Pair counts are kept incrementally: a
 * merge only revisits the words that contain the pair, and a lazy max-heap finds the next best
 * pair, so a few MB of text train in seconds.
 *
 * @example
 * const model = trainBpe(buildPretrainCorpus({ seed: 0 }).train, { vocabSize: 4096 });
 */
export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions = {}): BpeModel {
  const parsed = { data: parseWithSchema(TrainBpeOptionsSchema, options, { what: 'trainBpe options' }) };
  const { vocabSize, minFrequency } = parsed.data;
  const vocab: string[] = [SPECIAL_TOKENS.unk, SPECIAL_TOKENS.bos, SPECIAL_TOKENS.eos, SPECIAL_TOKENS.pad];
  const idOf = new Map<string, number>();
  for (const ch of BYTE_TO_UNICODE) {
    idOf.set(ch, vocab.length);
    vocab.push(ch);
  }

  // 1. unique pieces and their frequencies (counted as text, converted to bytes once each)
  const pieceCounts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of text.match(GPT2_PATTERN) ?? []) {
      pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + 1);
    }
  }
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, count] of pieceCounts) {
    words.push(Array.from(toByteLevel(piece), (ch) => idOf.get(ch)!));
    freqs.push(count);
  }

  // 2. initial pair counts and where each pair occurs
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1, touched: Set<number>) => {
    const syms = words[w]!;
    const f = freqs[w]! * sign;
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i]! * PAIR_BASE + syms[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
      touched.add(key);
      if (sign > 0) {
        const set = where.get(key);
        if (set) set.add(w);
        else where.set(key, new Set([w]));
      }
    }
  };
  const initial = new Set<number>();
  for (let w = 0; w < words.length; w++) addPairs(w, 1, initial);
  const heap = new PairHeap();
  for (const key of initial) heap.push(pairCounts.get(key)!, key);

  // 3. merge until the vocabulary is full
  const merges: [string, string][] = [];
  while (vocab.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    if (pairCounts.get(top.key) !== top.count) continue; // stale entry
    if (top.count < minFrequency) break;
    const a = Math.floor(top.key / PAIR_BASE);
    const b = top.key % PAIR_BASE;
    // the same string can arise from two different pairs ("ab"+"c", "a"+"bc"): reuse its id
    const mergedText = vocab[a]! + vocab[b]!;
    let newId = idOf.get(mergedText);
    if (newId === undefined) {
      newId = vocab.length;
      vocab.push(mergedText);
      idOf.set(mergedText, newId);
    }
    merges.push([vocab[a]!, vocab[b]!]);
    const touched = new Set<number>();
    for (const w of where.get(top.key) ?? []) {
      const syms = words[w]!;
      if (!containsPair(syms, a, b)) continue;
      addPairs(w, -1, touched);
      words[w] = mergePair(syms, a, b, newId);
      addPairs(w, 1, touched);
    }
    where.delete(top.key);
    for (const key of touched) {
      const count = pairCounts.get(key)!;
      if (count <= 0) pairCounts.delete(key);
      else heap.push(count, key);
    }
  }
  return { vocab, merges, specialTokens: SPECIAL_TOKENS };
}

function containsPair(syms: readonly number[], a: number, b: number): boolean {
  for (let i = 0; i + 1 < syms.length; i++) if (syms[i] === a && syms[i + 1] === b) return true;
  return false;
}

/** Replaces every non-overlapping occurrence of (a, b), left to right, by `merged`. */
export function mergePair(syms: readonly number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < syms.length; i++) {
    if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
      out.push(merged);
      i++;
    } else {
      out.push(syms[i]!);
    }
  }
  return out;
}
