/**
 * `hydralora generate --model DIR --prompt TEXT [--max-new-tokens N] [--greedy] [--temperature T]
 * [--top-k K] [--top-p P] [--seed S] [--truncate-prompt] [--json]`: continue a prompt with a Hugging Face-layout model.
 * The logic lives in @hydralora/models (`loadPretrained`, `generateText`); this file parses flags.
 */

import { loadAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { type GenerateOptions, generateText, type LlamaForCausalLM, loadPretrained } from '@hydralora/models';
import type { Command } from 'commander';
import { UsageError, UserError } from '../util/errors.js';

export interface GenerateFlags {
  model: string;
  prompt: string;
  maxNewTokens?: string;
  greedy?: boolean;
  temperature?: string;
  topK?: string;
  topP?: string;
  seed?: string;
  json?: boolean;
  truncatePrompt?: boolean;
}

/** Parse a numeric flag, naming the flag and the value when it is wrong. */
export function numberFlag(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} expects ${integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  return n;
}

/** Run the command; `applyAdapter` is where `--adapter DIR` will attach an adapter. */
export async function runGenerate(
  flags: GenerateFlags,
  applyAdapter?: (model: LlamaForCausalLM) => Promise<void>,
): Promise<string> {
  const options: GenerateOptions = {};
  const maxNewTokens = numberFlag('--max-new-tokens', flags.maxNewTokens, true);
  const temperature = numberFlag('--temperature', flags.temperature, false);
  const topK = numberFlag('--top-k', flags.topK, true);
  const topP = numberFlag('--top-p', flags.topP, false);
  const seed = numberFlag('--seed', flags.seed, true);
  if (maxNewTokens !== undefined) {
    if (maxNewTokens < 1)
      throw new UsageError(`--max-new-tokens expects an integer ≥ 1, got '${flags.maxNewTokens}'`);
    options.maxNewTokens = maxNewTokens;
  }
  if (temperature !== undefined) {
    if (!(temperature > 0))
      throw new UsageError(`--temperature expects a number > 0, got '${flags.temperature}'`);
    options.temperature = temperature;
  }
  if (topK !== undefined) {
    if (topK < 1) throw new UsageError(`--top-k expects an integer ≥ 1, got '${flags.topK}'`);
    options.topK = topK;
  }
  if (topP !== undefined) {
    if (!(topP > 0 && topP <= 1))
      throw new UsageError(`--top-p expects a number in (0, 1], got '${flags.topP}'`);
    options.topP = topP;
  }
  if (seed !== undefined) options.seed = seed;
  if (flags.truncatePrompt) {
    options.truncatePrompts = true;
    options.onTruncate = (message) => process.stderr.write(`hydralora: warning: ${message}\n`);
  }
  if (flags.greedy) options.greedy = true;
  else if (temperature !== undefined || topK !== undefined || topP !== undefined) options.greedy = false;

  await initBackend();
  const pretrained = await loadPretrained(flags.model, applyAdapter ? { applyAdapter } : {});
  try {
    const result = await generateText(pretrained, flags.prompt, options).catch((error: Error) => {
      if (!error.message.includes('truncatePrompts: true')) throw error;
      throw new UserError(error.message.replace('pass truncatePrompts: true', 'pass --truncate-prompt'));
    });
    if (!flags.json) return result.text;
    return JSON.stringify({
      prompt_tokens: result.promptTokens,
      tokens: result.tokens,
      text: result.text,
      finish_reason: result.finishReason,
    });
  } finally {
    pretrained.model.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('continue a prompt with a model directory (config.json, safetensors, tokenizer.json)')
    .requiredOption('--model <dir>', 'Hugging Face-layout model directory')
    .requiredOption('--prompt <text>', 'text to continue')
    .option('--max-new-tokens <n>', 'maximum number of new tokens (default: 32)')
    .option('--greedy', 'always pick the most likely token (the default unless sampling flags are given)')
    .option('--temperature <t>', 'sampling temperature (> 0)')
    .option('--top-k <k>', 'sample among the k most likely tokens')
    .option('--top-p <p>', 'nucleus sampling threshold in (0, 1]')
    .option('--seed <s>', 'seed of the sampler (default: 0)')
    .option('--json', 'print {"prompt_tokens", "tokens", "text", "finish_reason"} as JSON')
    .option(
      '--truncate-prompt',
      'drop the first tokens of a prompt longer than max_position_embeddings (with a warning) instead of failing',
    )
    .option(
      '--adapter <dir>',
      'adapter directory (adapter_config.json + adapter_model.safetensors in PEFT layout; model.safetensors for --method full)',
    )
    .action(async (flags: GenerateFlags & { adapter?: string }) => {
      const adapter = flags.adapter;
      console.log(
        await runGenerate(
          flags,
          adapter ? (model) => loadAdapter(model, adapter).then(() => undefined) : undefined,
        ),
      );
    });
}
