/**
 * Fine-tune HydraLoRA from your own code: load a base model, inject HydraLoRA on q_proj and
 * v_proj, train a few steps on a handful of instruction examples, save the adapter in PEFT's
 * layout, reload it on a fresh copy of the base model and check that it scores text exactly as
 * the trained one does.
 *
 *   HYDRALORA_MODEL=path/to/hf-model-folder npx tsx index.ts
 *
 * The last line printed is JSON: {"loss_first", "loss_last", "reloaded_logprobs_equal"}.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatInstructionPrompt } from '@hydralora/common';
import { injectAdapters, loadAdapter } from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { loadPretrained, scoreText } from '@hydralora/models';
import { Trainer } from '@hydralora/trainer';

const modelDir = process.env.HYDRALORA_MODEL;
if (!modelDir)
  throw new Error(
    'set HYDRALORA_MODEL to a Hugging Face model folder (config.json, model.safetensors, tokenizer.json)',
  );

// A handful of instruction examples (Alpaca-style; chat `messages` records work too).
const examples = [
  { instruction: 'Reverse the word.', input: 'cat', output: 'tac' },
  { instruction: 'Reverse the word.', input: 'dog', output: 'god' },
  { instruction: 'Reverse the word.', input: 'star', output: 'rats' },
  { instruction: 'Reverse the word.', input: 'pool', output: 'loop' },
  { instruction: 'Add the numbers.', input: '2 and 3', output: '5' },
  { instruction: 'Add the numbers.', input: '4 and 4', output: '8' },
  { instruction: 'Add the numbers.', input: '1 and 6', output: '7' },
  { instruction: 'Add the numbers.', input: '5 and 4', output: '9' },
];

await initBackend();
const base = await loadPretrained(modelDir);
const adapter = injectAdapters(base.model, {
  method: 'hydra',
  r: 8,
  lora_alpha: 16,
  num_heads: 2,
  target_modules: ['q_proj', 'v_proj'],
});

const outDir = mkdtempSync(path.join(os.tmpdir(), 'finetune-from-code-'));
const trainer = new Trainer({
  model: base,
  adapter,
  trainData: examples,
  args: { steps: 30, lr: 1e-2, warmupSteps: 3, microBatchSize: 4, checkpointEvery: 0, seed: 0 },
  outDir,
});
const { history } = await trainer.train();
const adapterDir = await trainer.save(); // adapter_config.json + adapter_model.safetensors

// Reload on a fresh copy of the base model and compare log-probabilities of a prompt + answer.
const probe = `${formatInstructionPrompt({ instruction: 'Add the numbers.', input: '3 and 3' })}6`;
const trained = await scoreText(base, probe);
const fresh = await loadPretrained(modelDir, {
  applyAdapter: async (model) => {
    await loadAdapter(model, adapterDir);
  },
});
const reloaded = await scoreText(fresh, probe);
const maxDiff = Math.max(
  ...trained.logprobs.map((lp, i) => Math.abs(lp - (reloaded.logprobs[i] ?? Number.NaN))),
);
console.log(`adapter saved to ${adapterDir}; max |Δ log p| after reload = ${maxDiff}`);
console.log(
  JSON.stringify({
    loss_first: history[0]?.loss,
    loss_last: history.at(-1)?.loss,
    reloaded_logprobs_equal: maxDiff <= 1e-6,
  }),
);
