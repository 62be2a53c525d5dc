/**
 * Instruction data for fine-tuning: Alpaca-style records (`instruction`, `input`, `output`) or chat
 * records (`messages: [{role, content}]`, rendered through the model's chat template), read from
 * JSON or JSONL; tokenised with the loss on the target tokens only; batched with right padding in
 * a deterministic, seeded order that a resumed run reproduces exactly.
 */
import { readFileSync } from 'node:fs';
import { formatInstructionPrompt, formatSchemaError, mulberry32 } from '@hydralora/common';
import { z } from 'zod';

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Appended after each target (end of sequence). */
  eosId: number;
  /** Used to pad batches (its label is always ignored). */
  padId: number;
  /** Prepended to every sequence when present. */
  bosId?: number;
  /** Renders chat messages to text; the last assistant turn is the target. */
  applyChatTemplate?(messages: ChatMessage[], options: { addGenerationPrompt: boolean }): string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface InstructionRecord {
  prompt: string;
  target: string;
  /** Known component (task) label when the data has one: used for Split routing and telemetry. */
  component?: string;
}

export const IGNORE_INDEX = -100;

const alpacaRow = z.object({
  instruction: z.string(),
  input: z.string().optional(),
  output: z.string(),
});
const chatRow = z.object({
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })).min(2),
});

export interface ReadOptions {
  /** Field holding each record's component label (default `component`, then `task_type`). */
  componentField?: string;
  tokenizer?: Pick<TextTokenizer, 'applyChatTemplate'>;
}

function parseRows(file: string): { row: unknown; where: string }[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch (error) {
    throw new Error(
      `${file}: ${(error as Error).message.includes('encoded data') ? 'not valid UTF-8' : (error as Error).message}`,
    );
  }
  const trimmed = text.trimStart();
  if (file.endsWith('.json') || trimmed.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new Error(`${file}: invalid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(data)) throw new Error(`${file}: expected a JSON array of records`);
    return data.map((row, i) => ({ row, where: `${file} record ${i}` }));
  }
  const rows: { row: unknown; where: string }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push({ row: JSON.parse(line), where: `${file} line ${i + 1}` });
    } catch (error) {
      throw new Error(`${file} line ${i + 1}: invalid JSON: ${(error as Error).message}`);
    }
  });
  return rows;
}

/** Read instruction records from a JSON or JSONL file. Errors name the file and the record. */
export function readInstructionFile(file: string, options: ReadOptions = {}): InstructionRecord[] {
  const rows = parseRows(file);
  if (rows.length === 0) throw new Error(`${file}: no records`);
  return rows.map(({ row, where }) => toInstructionRecord(row, where, options));
}

/**
 * A training row as in a data file: Alpaca-style, chat, or an already formatted prompt and
 * target, with an optional component label.
 */
export type InstructionRow =
  | { instruction: string; input?: string; output: string; component?: string }
  | { messages: ChatMessage[]; component?: string }
  | { prompt: string; target: string; component?: string };

/**
 * Records from in-memory rows (Alpaca-style or chat, as in a data file) — what a Trainer is
 * given from code. Errors name `source` and the row's index.
 */
export function toInstructionRecords(
  rows: readonly (InstructionRow | Record<string, unknown>)[],
  options: ReadOptions & { source?: string } = {},
): InstructionRecord[] {
  const source = options.source ?? 'dataset';
  if (rows.length === 0) throw new Error(`${source}: no records`);
  return rows.map((row, i) => toInstructionRecord(row, `${source} record ${i}`, options));
}

function toInstructionRecord(row: unknown, where: string, options: ReadOptions): InstructionRecord {
  if (!row || typeof row !== 'object' || Array.isArray(row))
    throw new Error(
      `${where}: expected an object with instruction/output or messages, got ${JSON.stringify(row)}`,
    );
  const r = row as Record<string, unknown>;
  const componentValue = options.componentField ? r[options.componentField] : (r.component ?? r.task_type);
  const component = componentValue === undefined ? undefined : String(componentValue);
  if (typeof r.prompt === 'string' && typeof r.target === 'string' && !('instruction' in r)) {
    // Already formatted (e.g. by the caller's own template).
    return { prompt: r.prompt, target: r.target, ...(component !== undefined ? { component } : {}) };
  }
  if ('messages' in r) {
    const parsed = chatRow.safeParse(r);
    if (!parsed.success)
      throw new Error(formatSchemaError(parsed.error, { what: `${where}: chat record`, input: r }));
    const messages = parsed.data.messages;
    const last = messages[messages.length - 1]!;
    if (last.role !== 'assistant')
      throw new Error(
        `${where}: the last message must be the assistant's (the target), got role '${last.role}'`,
      );
    const render = options.tokenizer?.applyChatTemplate;
    if (!render)
      throw new Error(
        `${where}: chat records need a tokenizer with a chat template (tokenizer_config.json chat_template)`,
      );
    const prompt = render(messages.slice(0, -1), { addGenerationPrompt: true });
    return { prompt, target: last.content, ...(component !== undefined ? { component } : {}) };
  }
  const parsed = alpacaRow.safeParse(r);
  if (!parsed.success) throw new Error(formatSchemaError(parsed.error, { what: where, input: r }));
  return {
    prompt: formatInstructionPrompt(parsed.data),
    target: parsed.data.output,
    ...(component !== undefined ? { component } : {}),
  };
}

export interface TokenizedExample {
  inputIds: number[];
  labels: number[];
  component?: string;
}

/** Tokenise prompt + target (+ EOS); labels are IGNORE_INDEX on the prompt. Truncates from the left of the prompt. */
export function tokenizeExample(
  record: InstructionRecord,
  tokenizer: TextTokenizer,
  maxLength: number,
): TokenizedExample {
  const promptIds = [
    ...(tokenizer.bosId !== undefined ? [tokenizer.bosId] : []),
    ...tokenizer.encode(record.prompt),
  ];
  const targetIds = [...tokenizer.encode(record.target), tokenizer.eosId];
  let p = promptIds;
  let t = targetIds;
  if (t.length >= maxLength) t = t.slice(0, Math.max(1, maxLength - 1));
  if (p.length + t.length > maxLength) p = p.slice(p.length + t.length - maxLength);
  return {
    inputIds: [...p, ...t],
    labels: [...p.map(() => IGNORE_INDEX), ...t],
    ...(record.component !== undefined ? { component: record.component } : {}),
  };
}

/** The order of examples in `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch), so resume needs only the cursor. */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  const rand = mulberry32((seed * 1_000_003 + epoch * 7919) >>> 0);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export interface Batch {
  inputIds: number[][];
  labels: number[][];
  attentionMask: number[][];
  componentIds: Int32Array;
  /** Number of target (non-ignored) tokens. */
  targetTokens: number;
}

/** Right-pad a list of examples into a batch. */
export function collate(
  examples: TokenizedExample[],
  padId: number,
  componentIndex?: Map<string, number>,
): Batch {
  const len = Math.max(...examples.map((e) => e.inputIds.length));
  const pad = <T>(xs: T[], v: T) => [...xs, ...Array<T>(len - xs.length).fill(v)];
  return {
    inputIds: examples.map((e) => pad(e.inputIds, padId)),
    labels: examples.map((e) => pad(e.labels, IGNORE_INDEX)),
    attentionMask: examples.map((e) =>
      pad(
        e.inputIds.map(() => 1),
        0,
      ),
    ),
    componentIds: Int32Array.from(
      examples.map((e) => (e.component !== undefined ? (componentIndex?.get(e.component) ?? -1) : -1)),
    ),
    targetTokens: examples.reduce((s, e) => s + e.labels.filter((l) => l !== IGNORE_INDEX).length, 0),
  };
}

/** Deterministic stream of micro-batches: position = (epoch, cursor), restorable from a checkpoint. */
export class BatchStream {
  epoch = 0;
  cursor = 0;
  private order: number[];

  constructor(
    private readonly examples: TokenizedExample[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly padId: number,
    private readonly componentIndex?: Map<string, number>,
  ) {
    if (examples.length === 0) throw new Error('no training examples');
    this.order = epochOrder(examples.length, seed, 0);
  }

  seek(position: { epoch: number; cursor: number }): void {
    this.epoch = position.epoch;
    this.cursor = position.cursor;
    this.order = epochOrder(this.examples.length, this.seed, this.epoch);
  }

  next(): Batch {
    if (this.cursor >= this.order.length) this.seek({ epoch: this.epoch + 1, cursor: 0 });
    const idx = this.order.slice(this.cursor, this.cursor + this.batchSize);
    this.cursor += idx.length;
    return collate(
      idx.map((i) => this.examples[i]!),
      this.padId,
      this.componentIndex,
    );
  }
}
