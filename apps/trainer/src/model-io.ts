/**
 * Glue between the packages: a model directory (+ optional adapter directory) loaded as a
 * `Pretrained`, and that model seen through eval-suites' `EvalModel` interface.
 */
import { loadAdapter } from '@hydralora/core-adapters';
import type { EvalModel } from '@hydralora/eval-suites';
import {
  generate,
  type LlamaForCausalLM,
  loadPretrained,
  type Pretrained,
  scoreContinuations,
  truncateAtStop,
} from '@hydralora/models';

export async function loadModel(modelDir: string, adapterDir?: string): Promise<Pretrained> {
  return loadPretrained(modelDir, {
    ...(adapterDir
      ? {
          applyAdapter: async (model: LlamaForCausalLM) => {
            await loadAdapter(model, adapterDir);
          },
        }
      : {}),
  });
}

/** The eval-suites view of a model: scores and generations in text. */
export function toEvalModel(
  { model, tokenizer }: Pretrained,
  options: { batchSize?: number } = {},
): EvalModel {
  const batchSize = options.batchSize ?? 8;
  const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const eos = model.config.eos_token_id ?? tokenizer.eosTokenId;
  return {
    async score(prompts, continuations) {
      // Encode prompt + continuation together so that merges across the boundary match what the
      // model sees; the continuation is what follows the longest common prefix with the prompt.
      const pairs = prompts.map((prompt, i) => {
        const head = tokenizer.encode(prompt);
        const full = tokenizer.encode(prompt + continuations[i]);
        let k = 0;
        while (k < head.length && k < full.length - 1 && full[k] === head[k]) k++;
        return { prefix: full.slice(0, Math.max(1, k)), tail: full.slice(Math.max(1, k)) };
      });
      const result = await scoreContinuations(
        model,
        pairs.map((p) => p.prefix),
        pairs.map((p) => p.tail),
        { batchSize },
      );
      return result.total;
    },
    async generate(prompts, opts) {
      const out: string[] = [];
      for (let i = 0; i < prompts.length; i += batchSize) {
        const batch = prompts.slice(i, i + batchSize).map((t) => tokenizer.encode(t));
        const result = await generate(model, batch, {
          maxNewTokens: opts.maxNewTokens,
          ...(opts.temperature && opts.temperature > 0
            ? { temperature: opts.temperature, seed: opts.seed ?? 0 }
            : { greedy: true }),
          ...(opts.stop ? { stopStrings: opts.stop } : {}),
          decode,
          ...(eos !== undefined && eos !== null ? { eosTokenId: eos } : {}),
          ...(tokenizer.padTokenId !== undefined ? { padTokenId: tokenizer.padTokenId } : {}),
        });
        for (const tokens of result.tokens) out.push(truncateAtStop(decode(tokens), opts.stop ?? []));
      }
      return out;
    },
  };
}
