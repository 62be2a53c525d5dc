/** Checks of what `generate` and `scoreContinuations` are given, before any tensor is made. */

/** Throws naming `what`, the value and the vocabulary size when `id` is not a token id. */
export function assertTokenId(id: number, vocab: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id >= vocab) {
    throw new Error(`${what} is ${id}; token ids must be integers in [0, vocab_size ${vocab})`);
  }
}

/** What to do with prompts that do not fit the model's positions. */
export interface FitOptions {
  /** Drop the first tokens of a prompt that does not fit (default false: an error). */
  truncatePrompts?: boolean;
  /** Told about each truncated prompt (default `console.warn`). */
  onTruncate?: (message: string) => void;
}

/**
 * `prompts` with every id checked, each at most `room` tokens: a longer one is an error naming its
 * index and length, or, with `truncatePrompts`, cut to its last `room` tokens and reported.
 */
export function fitPrompts(
  prompts: number[][],
  room: number,
  caller: string,
  options: FitOptions,
  vocab?: number,
): number[][] {
  return prompts.map((prompt, i) => {
    if (vocab !== undefined)
      prompt.forEach((id, t) => assertTokenId(id, vocab, `${caller}: prompt ${i} token ${t}`));
    if (prompt.length <= room) return prompt;
    const message = `${caller}: prompt ${i} has ${prompt.length} tokens; max_position_embeddings leaves room for ${room}`;
    if (!options.truncatePrompts) throw new Error(`${message} (shorten it or pass truncatePrompts: true)`);
    (options.onTruncate ?? console.warn)(`${message}: its first ${prompt.length - room} tokens are dropped`);
    return prompt.slice(prompt.length - room);
  });
}
