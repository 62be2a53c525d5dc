/** Stopping criteria: each looks at one sequence's generated tokens after every step. */

/** Why a sequence stopped. */
export type FinishReason = 'length' | 'eos' | 'stop';

/** Decides, after each new token, whether a sequence is finished. */
export interface StoppingCriterion {
  /** Return a finish reason to stop `generated` (the new tokens so far), or undefined. */
  check(generated: readonly number[]): FinishReason | undefined;
}

/** Stop after `maxNewTokens` new tokens. */
export class MaxNewTokensCriterion implements StoppingCriterion {
  constructor(readonly maxNewTokens: number) {
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
      throw new Error(`max new tokens must be an integer ≥ 1, got ${maxNewTokens}`);
    }
  }
  check(generated: readonly number[]): FinishReason | undefined {
    return generated.length >= this.maxNewTokens ? 'length' : undefined;
  }
}

/** Stop when the last token is one of the end-of-sequence ids. */
export class EosTokenCriterion implements StoppingCriterion {
  private readonly ids: Set<number>;
  constructor(ids: readonly number[]) {
    this.ids = new Set(ids);
  }
  check(generated: readonly number[]): FinishReason | undefined {
    const last = generated[generated.length - 1];
    return last !== undefined && this.ids.has(last) ? 'eos' : undefined;
  }
}

/** Stop when the decoded new text contains one of `stops`. */
export class StopStringsCriterion implements StoppingCriterion {
  constructor(
    readonly stops: readonly string[],
    private readonly decode: (ids: readonly number[]) => string,
  ) {}
  check(generated: readonly number[]): FinishReason | undefined {
    const text = this.decode(generated);
    return this.stops.some((s) => s.length > 0 && text.includes(s)) ? 'stop' : undefined;
  }
}

/** Cut `text` before the first occurrence of any stop string. */
export function truncateAtStop(text: string, stops: readonly string[]): string {
  let cut = text.length;
  for (const s of stops) {
    const i = s.length > 0 ? text.indexOf(s) : -1;
    if (i >= 0 && i < cut) cut = i;
  }
  return text.slice(0, cut);
}
