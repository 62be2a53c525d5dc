import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import { beforeAll, describe, expect, it } from 'vitest';
import { injectAdapters } from '../adapter-model.js';
import { parseAdapterConfig } from '../config.js';
import { collapseAdapter } from '../export/collapse.js';
import { CONFIG_FILE, WEIGHTS_FILE } from '../io/peft-files.js';
import { promptConfigJson } from '../io/prompt-files.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { textInitIds } from '../methods/prompt-tuning/index.js';
import { methodRegistry } from '../methods/registry.js';
import { FakeMlpModel } from '../testing/fake-model.js';

beforeAll(async () => {
  await initBackend();
});

const GEOMETRY = { hiddenSize: 32, numLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8 };

describe('prompt learning in core-adapters', () => {
  it('methods that adapt linears still require target_modules', () => {
    const model = new FakeMlpModel();
    expect(() => injectAdapters(model, { method: 'lora' })).toThrow(
      "adapter config: field 'target_modules' is required for method 'lora'",
    );
    model.dispose();
  });

  it('a model without the virtual-token hook is refused by name', () => {
    const model = new FakeMlpModel();
    expect(() => injectAdapters(model, { method: 'prompt-tuning' })).toThrow(
      /method 'prompt-tuning' adds virtual tokens, but the model has no virtual-token hook/,
    );
    model.dispose();
  });

  it('TEXT initialisation cuts or repeats the text tokens to N (PEFT)', () => {
    expect(textInitIds([1, 2, 3, 4], 2)).toEqual([1, 2]);
    expect(textInitIds([1, 2], 5)).toEqual([1, 2, 1, 2, 1]);
    expect(() => textInitIds([], 3)).toThrow(/no tokens/);
  });

  it("writes PEFT's PromptTuningConfig keys", () => {
    const config = parseAdapterConfig({ method: 'prompt-tuning', num_virtual_tokens: 8 });
    const json = promptConfigJson(config, methodRegistry.get('prompt-tuning'), GEOMETRY);
    expect(json).toEqual({
      auto_mapping: null,
      base_model_name_or_path: null,
      inference_mode: true,
      modules_to_save: null,
      num_attention_heads: 4,
      num_layers: 2,
      num_transformer_submodules: 1,
      num_virtual_tokens: 8,
      peft_type: 'PROMPT_TUNING',
      prompt_tuning_init: 'RANDOM',
      prompt_tuning_init_text: null,
      revision: null,
      task_type: 'CAUSAL_LM',
      token_dim: 32,
      tokenizer_kwargs: null,
      tokenizer_name_or_path: null,
    });
  });

  it('a prompt-learning adapter cannot be exported as a LoRA (an error naming the file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hydralora-prompt-'));
    try {
      const config = parseAdapterConfig({ method: 'prompt-tuning', num_virtual_tokens: 2 });
      await writeFile(
        join(dir, CONFIG_FILE),
        JSON.stringify(promptConfigJson(config, methodRegistry.get('prompt-tuning'), GEOMETRY)),
      );
      await writeFile(
        join(dir, WEIGHTS_FILE),
        encodeSafetensors({ prompt_embeddings: { shape: [2, 32], data: new Float32Array(64) } }),
      );
      await expect(collapseAdapter(dir)).rejects.toThrow(
        `${join(dir, CONFIG_FILE)}: method 'prompt-tuning' adds virtual tokens and has no weight update to export as a LoRA`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
