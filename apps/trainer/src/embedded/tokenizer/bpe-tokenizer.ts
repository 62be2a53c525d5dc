import { fromByteLevel, preTokenize } from './byte-level.js';
import { type BpeModel, mergePair } from './train-bpe.js';

const PAIR_BASE = 65536;

/**
 * Our own encoder/decoder for a {@link BpeModel} (the same algorithm as Hugging Face's BPE
 * model: within each GPT-2 piece, repeatedly merge the adjacent pair of lowest merge rank).
 * It exists so the project does not depend on a tokenizer library at training time, and so the
 * tests can compare it with `@huggingface/tokenizers` as an independent reference.
 * Special-token strings inside `text` are not treated specially (they are encoded as bytes).
 */
export class BpeTokenizer {
  readonly model: BpeModel;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  private readonly idOf = new Map<string, number>();
  /** pair key → (rank, merged id) */
  private readonly ranks = new Map<number, { rank: number; id: number }>();
  private readonly cache = new Map<string, number[]>();
  private readonly specialIds: ReadonlySet<number>;

  constructor(model: BpeModel) {
    this.model = model;
    model.vocab.forEach((token, id) => {
      if (this.idOf.has(token)) throw new Error(`BpeTokenizer: token "${token}" appears twice in the vocab`);
      this.idOf.set(token, id);
    });
    model.merges.forEach(([left, right], rank) => {
      const a = this.idOf.get(left);
      const b = this.idOf.get(right);
      const merged = this.idOf.get(left + right);
      if (a === undefined || b === undefined || merged === undefined) {
        throw new Error(`BpeTokenizer: merge ${rank} "${left} ${right}" uses a token missing from the vocab`);
      }
      this.ranks.set(a * PAIR_BASE + b, { rank, id: merged });
    });
    const special = (token: string) => {
      const id = this.idOf.get(token);
      if (id === undefined) throw new Error(`BpeTokenizer: special token "${token}" is not in the vocab`);
      return id;
    };
    this.bosId = special(model.specialTokens.bos);
    this.eosId = special(model.specialTokens.eos);
    this.padId = special(model.specialTokens.pad);
    this.unkId = special(model.specialTokens.unk);
    this.specialIds = new Set([this.bosId, this.eosId, this.padId, this.unkId]);
  }

  /** Number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.model.vocab.length;
  }

  /** Token ids of `text`; with `addBos`, `<s>` first (as the tokenizer.json post-processor does). */
  encode(text: string, options: { addBos?: boolean; addEos?: boolean } = {}): number[] {
    const ids: number[] = options.addBos ? [this.bosId] : [];
    for (const piece of preTokenize(text)) {
      for (const id of this.encodePiece(piece)) ids.push(id);
    }
    if (options.addEos) ids.push(this.eosId);
    return ids;
  }

  /** The text of `ids`; special tokens are dropped unless `keepSpecial`. */
  decode(ids: readonly number[], options: { keepSpecial?: boolean } = {}): string {
    let out = '';
    let bytes = '';
    for (const id of ids) {
      const token = this.model.vocab[id];
      if (token === undefined) throw new Error(`BpeTokenizer.decode: id ${id} is outside the vocab`);
      if (this.specialIds.has(id)) {
        out += fromByteLevel(bytes);
        bytes = '';
        if (options.keepSpecial) out += token;
      } else {
        bytes += token;
      }
    }
    return out + fromByteLevel(bytes);
  }

  private encodePiece(piece: string): number[] {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    let syms = Array.from(piece, (ch) => this.idOf.get(ch)!);
    for (;;) {
      let best: { rank: number; id: number } | undefined;
      let bestKey = 0;
      for (let i = 0; i + 1 < syms.length; i++) {
        const key = syms[i]! * PAIR_BASE + syms[i + 1]!;
        const r = this.ranks.get(key);
        if (r && (!best || r.rank < best.rank)) {
          best = r;
          bestKey = key;
        }
      }
      if (!best) break;
      syms = mergePair(syms, Math.floor(bestKey / PAIR_BASE), bestKey % PAIR_BASE, best.id);
    }
    if (this.cache.size < 100_000) this.cache.set(piece, syms);
    return syms;
  }
}
