/**
 * `hydralora score --model DIR --text TEXT [--json]`: log-probability (natural log) of each token
 * of a text given the tokens before it. JSON: {"tokens": [ids], "logprobs": [log p(token_i |
 * tokens_<i) for i ≥ 1]}. The logic lives in @hydralora/models (`loadPretrained`, `scoreText`).
 */

import { loadAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { type LlamaForCausalLM, loadPretrained, scoreText } from '@hydralora/models';
import type { Command } from 'commander';

export interface ScoreFlags {
  model: string;
  text: string;
  json?: boolean;
}

/** Run the command; `applyAdapter` is where `--adapter DIR` will attach an adapter. */
export async function runScore(
  flags: ScoreFlags,
  applyAdapter?: (model: LlamaForCausalLM) => Promise<void>,
): Promise<string> {
  await initBackend();
  const pretrained = await loadPretrained(flags.model, applyAdapter ? { applyAdapter } : {});
  try {
    const { tokens, logprobs } = await scoreText(pretrained, flags.text);
    if (flags.json) return JSON.stringify({ tokens, logprobs });
    const total = logprobs.reduce((a, b) => a + b, 0);
    const lines = tokens.slice(1).map((id, i) => {
      const piece = JSON.stringify(pretrained.tokenizer.decode([id]));
      return `${String(id).padStart(7)} ${piece.padEnd(16)} ${(logprobs[i] as number).toFixed(4)}`;
    });
    return [
      ...lines,
      `total log-prob ${total.toFixed(4)} over ${logprobs.length} tokens (perplexity ${Math.exp(-total / logprobs.length).toFixed(3)})`,
    ].join('\n');
  } finally {
    pretrained.model.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('score')
    .description('log-probability of each token of a text under a model directory')
    .requiredOption('--model <dir>', 'Hugging Face-layout model directory')
    .requiredOption('--text <text>', 'text to score (at least two tokens)')
    .option('--json', 'print {"tokens": [...], "logprobs": [...]} (natural log, for tokens 1..n-1)')
    .option(
      '--adapter <dir>',
      'adapter directory (adapter_config.json + adapter_model.safetensors in PEFT layout; model.safetensors for --method full)',
    )
    .action(async (flags: ScoreFlags & { adapter?: string }) => {
      const adapter = flags.adapter;
      console.log(
        await runScore(
          flags,
          adapter ? (model) => loadAdapter(model, adapter).then(() => undefined) : undefined,
        ),
      );
    });
}
