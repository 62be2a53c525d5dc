/** Options of {@link EvalModel.generate}. */
export interface GenerateOptions {
  /** Upper bound on the number of new tokens per prompt. */
  maxNewTokens: number;
  /**
   * Stop sequences: generation may end at the first of them. The suites also cut every returned
   * text at its first stop sequence, so a model that ignores this option is still scored correctly.
   */
  stop?: string[];
  /** Sampling temperature; 0 or absent means greedy decoding. */
  temperature?: number;
  /** Seed of the sampler, so that sampled runs are reproducible. */
  seed?: number;
}

/**
 * The model interface every suite is written against. `@hydralora/models` provides an adapter
 * from its causal LMs; tests use small scripted models.
 */
export interface EvalModel {
  /**
   * Log-likelihood of each continuation given its prompt: for each `i`, the sum of the natural-log
   * probabilities of the tokens of `continuations[i]` when they follow `prompts[i]`.
   * Both arrays have the same length; the result has that length too.
   */
  score(prompts: string[], continuations: string[]): Promise<number[]>;
  /** One continuation per prompt (the new text only, without the prompt). */
  generate(prompts: string[], options: GenerateOptions): Promise<string[]>;
  /**
   * Optional, for perplexity: the natural-log probability of every token of `text`, each given the
   * tokens before it (the first one given the beginning-of-sequence token).
   */
  tokenLogprobs?(text: string): Promise<number[]>;
}
