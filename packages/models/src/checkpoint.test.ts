import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, generateRandomCheckpoint, loadModel } from './checkpoint.js';
import { parseConfig } from './config.js';
import { SafetensorsFile, writeSafetensors } from './safetensors.js';
import { loadTokenizer } from './tokenizer.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'models-ckpt-'));
afterAll(() => fs.rmSync(root, { recursive: true }));
beforeAll(async () => {
  await initBackend();
});

const config = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama' as const,
  vocab_size: 64,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  eos_token_id: 2,
};

function fresh(name: string, overrides: object = {}): string {
  const dir = path.join(root, name);
  generateRandomCheckpoint({ ...config, ...overrides }, dir, { seed: 7 });
  return dir;
}

describe('config validation', () => {
  it('names the file, the field and the value', () => {
    const { hidden_size: _, ...missing } = config;
    expect(() => parseConfig(missing, 'x/config.json')).toThrow(
      /x\/config\.json: invalid model config: field hidden_size: .*\(missing\)/,
    );
    expect(() => parseConfig({ ...config, num_attention_heads: 'four' }, 'c.json')).toThrow(
      /c\.json: invalid model config: field num_attention_heads: .* \(got "four"\)/,
    );
    expect(() => parseConfig({ ...config, architectures: ['GPT2LMHeadModel'] }, 'c.json')).toThrow(
      /c\.json: field "architectures" is \["GPT2LMHeadModel"\]; expected one of LlamaForCausalLM/,
    );
    expect(() => parseConfig({ ...config, model_type: 'gpt2' }, 'c.json')).toThrow(
      /c\.json: invalid model config: field model_type: .* \(got "gpt2"\)/,
    );
    expect(() => parseConfig({ ...config, num_key_value_heads: 3 }, 'c.json')).toThrow(
      /not a multiple of num_key_value_heads 3/,
    );
    expect(() => parseConfig({ ...config, sliding_window: 4096, model_type: 'mistral' }, 'c.json')).toThrow(
      /sliding_window/,
    );
  });

  it('rejects unknown keys unless allowed, accepts known bookkeeping keys', () => {
    expect(() => parseConfig({ ...config, quantization_config: {} }, 'c.json')).toThrow(
      /c\.json: unknown config key\(s\) "quantization_config"/,
    );
    expect(
      parseConfig({ ...config, quantization_config: {} }, 'c.json', { allowUnknownKeys: true }).hidden_size,
    ).toBe(16);
    expect(parseConfig({ ...config, transformers_version: '4.44.0', use_cache: true }).rope_theta).toBe(
      10000,
    );
  });
});

describe('random checkpoints', () => {
  it('are deterministic per seed and differ across seeds', () => {
    const a = fresh('seed-a');
    const b = fresh('seed-b');
    const c = path.join(root, 'seed-c');
    generateRandomCheckpoint(config, c, { seed: 8 });
    const bytes = (d: string) => fs.readFileSync(path.join(d, 'model.safetensors'));
    expect(bytes(a).equals(bytes(b))).toBe(true);
    expect(bytes(a).equals(bytes(c))).toBe(false);
    expect(fs.readdirSync(a).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
  });

  it('load to the same model createModel builds from the seed', () => {
    const dir = fresh('same');
    const loaded = loadModel(dir);
    const created = createModel(config, { seed: 7 });
    const x = loaded.forward({ inputIds: [[1, 2, 3]] });
    const y = created.forward({ inputIds: [[1, 2, 3]] });
    expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBe(0);
    tf.dispose([x, y]);
    loaded.dispose();
    created.dispose();
  });

  it('BF16 storage loads within bfloat16 rounding of the F32 model', () => {
    const dir = path.join(root, 'bf16');
    generateRandomCheckpoint(config, dir, { seed: 7, dtype: 'BF16' });
    const f = SafetensorsFile.open(path.join(dir, 'model.safetensors'));
    expect(f.tensors.get('model.norm.weight')?.dtype).toBe('BF16');
    const w = f.read('model.layers.0.mlp.up_proj.weight').data;
    const exact = SafetensorsFile.open(path.join(fresh('bf16-ref'), 'model.safetensors')).read(
      'model.layers.0.mlp.up_proj.weight',
    ).data;
    for (let i = 0; i < w.length; i++)
      expect(Math.abs((w[i] as number) - (exact[i] as number))).toBeLessThanOrEqual(
        Math.abs(exact[i] as number) * 2 ** -8,
      );
  });
});

describe('bad checkpoints', () => {
  it('a tensor with the wrong shape names the file, tensor and expected shape', () => {
    const dir = fresh('wrong-shape');
    const file = path.join(dir, 'model.safetensors');
    const st = SafetensorsFile.open(file);
    const tensors: [string, { shape: number[]; data: Float32Array }][] = [...st.tensors.keys()].map((n) => [
      n,
      st.read(n),
    ]);
    const idx = tensors.findIndex(([n]) => n === 'model.layers.1.self_attn.k_proj.weight');
    tensors[idx] = [
      'model.layers.1.self_attn.k_proj.weight',
      { shape: [16, 16], data: new Float32Array(256) },
    ];
    writeSafetensors(file, tensors);
    expect(() => loadModel(dir)).toThrow(
      /model\.safetensors: tensor "model\.layers\.1\.self_attn\.k_proj\.weight" has shape \[16,16\], expected \[8,16\]/,
    );
  });

  it('a missing tensor, an unexpected tensor, a missing file', () => {
    const dir = fresh('missing');
    const file = path.join(dir, 'model.safetensors');
    const st = SafetensorsFile.open(file);
    const kept = [...st.tensors.keys()]
      .filter((n) => n !== 'model.norm.weight')
      .map((n) => [n, st.read(n)] as [string, ReturnType<typeof st.read>]);
    writeSafetensors(file, kept);
    expect(() => loadModel(dir)).toThrow(
      /checkpoint has no tensor "model\.norm\.weight" \(expected shape \[16\]\)/,
    );
    writeSafetensors(file, [
      ...kept,
      ['model.norm.weight', st.read('model.norm.weight')],
      ['extra.weight', { shape: [1], data: new Float32Array(1) }],
    ]);
    expect(() => loadModel(dir)).toThrow(/unexpected tensor\(s\) "extra\.weight"/);
    fs.rmSync(file);
    expect(() => loadModel(dir)).toThrow(/no model\.safetensors or model\.safetensors\.index\.json found/);
    expect(() => loadModel(path.join(root, 'nope'))).toThrow(/nope\/config\.json: cannot read model config/);
  });

  it('a truncated weights file', () => {
    const dir = fresh('truncated');
    const file = path.join(dir, 'model.safetensors');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    expect(() => loadModel(dir)).toThrow(
      /model\.safetensors: tensor "lm_head\.weight": data ends at byte \d+ of the data section but the file holds only \d+ after the header \(truncated file\)/,
    );
  });
});

describe('tokenizer', () => {
  it('encodes, decodes and applies the chat template of a generated checkpoint', () => {
    const dir = fresh('tok', { vocab_size: 128 });
    const tok = loadTokenizer(dir);
    expect([tok.bosTokenId, tok.eosTokenId, tok.padTokenId]).toEqual([1, 2, 2]);
    // ids: specials 0–2, printable ASCII from 3 (' ' = 3, '!' = 4, 'a' = 68), '\n' 98, 'he' 99, 'll' 100
    const ids = tok.encode('hello a!');
    expect(ids).toEqual([99, 100, 82, 3, 68, 4]);
    expect(tok.decode(ids)).toBe('hello a!');
    expect(tok.decode([1, ...ids, 2], { skipSpecialTokens: true })).toBe('hello a!');
    expect(tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true })).toBe(
      '<s>user: hi\nassistant: ',
    );
  });

  it('reports a missing tokenizer.json and a bad special token', () => {
    expect(() => loadTokenizer(path.join(root, 'nowhere'))).toThrow(/nowhere\/tokenizer\.json: not found/);
    const dir = fresh('badtok');
    const cfgFile = path.join(dir, 'tokenizer_config.json');
    fs.writeFileSync(cfgFile, JSON.stringify({ eos_token: '<|end|>' }));
    expect(() => loadTokenizer(dir)).toThrow(
      /tokenizer_config\.json: field "eos_token" is "<\|end\|>", which is not in the vocabulary/,
    );
    fs.writeFileSync(cfgFile, JSON.stringify({}));
    expect(() => loadTokenizer(dir).applyChatTemplate([])).toThrow(/no field "chat_template"/);
  });
});
