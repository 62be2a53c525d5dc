import type { EvalModel, GenerateOptions } from '../model.js';

/** A model whose `score` is `scoreFn` and whose `generate` is `generateFn`; records calls. */
export function scriptedModel(
  scoreFn: (prompt: string, continuation: string) => number,
  generateFn: (prompt: string, options: GenerateOptions) => string = () => {
    throw new Error('this test model cannot generate');
  },
): EvalModel & { scoreCalls: number; generateCalls: GenerateOptions[] } {
  const model = {
    scoreCalls: 0,
    generateCalls: [] as GenerateOptions[],
    async score(prompts: string[], continuations: string[]) {
      model.scoreCalls++;
      return prompts.map((p, i) => scoreFn(p, continuations[i]!));
    },
    async generate(prompts: string[], options: GenerateOptions) {
      model.generateCalls.push(options);
      return prompts.map((p) => generateFn(p, options));
    },
  };
  return model;
}

/** Finds the longest suffix of `prompt` starting after `separator` that `has` accepts. */
export function findSuffix(
  prompt: string,
  separator: string,
  has: (key: string) => boolean,
): string | undefined {
  let at = prompt.lastIndexOf(separator);
  while (at !== -1) {
    const key = prompt.slice(at + separator.length);
    if (has(key)) return key;
    at = prompt.lastIndexOf(separator, at - 1);
  }
  return has(prompt) ? prompt : undefined;
}
