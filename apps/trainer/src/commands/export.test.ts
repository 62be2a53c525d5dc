/**
 * `hydralora export`, run in-process through commander on a tiny random LLaMA: merged logits
 * against the base model running the original adapter, exported PEFT files against PEFT's
 * layout, and the errors a user can hit.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type AdapterConfigInput,
  type AdapterModel,
  decodeSafetensors,
  injectAdapters,
  loadAdapter,
  saveAdapter,
} from '@hydralora/core-adapters';
import { initBackend } from '@hydralora/gpu-backend';
import { generate, type LlamaForCausalLM, loadModel } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTinyModel } from '../__fixtures__/tiny-model.js';
import { register, runExport } from './export.js';
import { runGenerate } from './generate.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'cli-export-'));
let base: string;
const IDS = [
  [5, 17, 42, 99, 7, 3],
  [8, 9, 10, 11, 12, 13],
];
const TARGETS = ['q_proj', 'v_proj', 'o_proj', 'up_proj', 'down_proj'];

beforeAll(async () => {
  await initBackend();
  base = makeTinyModel({ dir: path.join(root, 'base') });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let count = 0;
const fresh = (name: string) => path.join(root, `${name}-${count++}`);

function logits(model: LlamaForCausalLM, componentIds?: number[]): Float32Array {
  const t = model.forward({ inputIds: IDS, ...(componentIds ? { componentIds } : {}) });
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return v;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  a.forEach((v, i) => {
    m = Math.max(m, Math.abs(v - (b[i] as number)));
  });
  return m;
}

/** Save an adapter with random (non-zero) B heads; return its dir, the model and its handle. */
async function makeAdapter(config: Omit<AdapterConfigInput, 'target_modules'>, targets = TARGETS) {
  const model = loadModel(base);
  const handle = injectAdapters(model, {
    r: 4,
    lora_alpha: 8,
    num_heads: 3,
    target_modules: targets,
    ...config,
  });
  let seed = 1;
  for (const layer of handle.layers().values())
    tf.tidy(() => layer.bCat.assign(tf.randomNormal(layer.bCat.shape, 0, 0.2, 'float32', seed++)));
  const dir = fresh('adapter');
  await saveAdapter(handle, dir);
  return { dir, model, handle };
}

function dispose({ model, handle }: { model: LlamaForCausalLM; handle: AdapterModel }) {
  handle.dispose();
  model.dispose();
}

/** Run `hydralora export …` through commander, capturing what it prints. */
async function cli(args: string[]): Promise<{ out: string; err: string }> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    await program.parseAsync(['node', 'hydralora', 'export', ...args]);
    return {
      out: log.mock.calls.map((c) => c.join(' ')).join('\n'),
      err: warn.mock.calls.map((c) => c.join(' ')).join('\n'),
    };
  } finally {
    log.mockRestore();
    warn.mockRestore();
  }
}

describe('hydralora export --merge', () => {
  it('HydraLoRA, uniform router: merged logits equal base + adapter to ≤ 1e-4; generate loads the dir', async () => {
    const source = await makeAdapter({ method: 'hydra', router: 'uniform' });
    const expected = logits(source.model);
    source.handle.disable();
    const baseLogits = logits(source.model);
    source.handle.enable();
    const out = fresh('merged');
    const printed = await cli(['--model', base, '--adapter', source.dir, '--out', out, '--merge']);
    expect(printed.err).toBe(''); // uniform ω for the uniform router: exact, no warning
    expect(printed.out).toContain(
      'hydra, 3 heads, router uniform, collapsed with ω = [0.3333, 0.3333, 0.3333]',
    );
    expect(printed.out).toContain(
      'merged into 10 linear layers: W = W0 + (lora_alpha/r)·B·A with r = 4, lora_alpha = 8',
    );
    expect(printed.out).toMatch(
      /model\.safetensors \(F32, \d+ tensors\), config\.json, tokenizer\.json, tokenizer_config\.json, special_tokens_map\.json$/,
    );
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(readFileSync(path.join(out, 'config.json'), 'utf8')).toBe(
      readFileSync(path.join(base, 'config.json'), 'utf8'),
    );
    expect(readdirSync(root).filter((f) => f.includes('.partial-'))).toEqual([]);

    const merged = loadModel(out);
    const actual = logits(merged);
    expect(maxDiff(actual, expected)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(expected, baseLogits)).toBeGreaterThan(1e-2);
    // The merged directory is a model directory `hydralora generate` loads (tokenizer included).
    const generated = JSON.parse(
      await runGenerate({ model: out, prompt: 'the', maxNewTokens: '4', greedy: true, json: true }),
    ) as { prompt_tokens: number[]; tokens: number[] };
    const ref = await generate(source.model, [generated.prompt_tokens], {
      maxNewTokens: 4,
      eosTokenId: 2,
      padTokenId: 3,
    });
    expect(generated.tokens).toEqual(ref.tokens[0]);
    merged.dispose();
    dispose(source);
  });

  it('LoRA-Split head:1: merged logits equal base + adapter on samples of component 1, with a warning', async () => {
    const source = await makeAdapter({ method: 'split' });
    const expected = logits(source.model, [1, 1]);
    const other = logits(source.model, [0, 0]);
    const out = fresh('merged');
    const printed = await cli([
      '--model',
      base,
      '--adapter',
      source.dir,
      '--out',
      out,
      '--weights',
      'head:1',
      '--merge',
    ]);
    expect(printed.err).toBe(
      'warning: LoRA-Split routes each sample to one component: the export equals the adapter for samples of component 1 only',
    );
    const merged = loadModel(out);
    const actual = logits(merged);
    expect(maxDiff(actual, expected)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(actual, other)).toBeGreaterThan(1e-2);
    merged.dispose();
    dispose(source);
  });
});

describe('hydralora export (PEFT adapter)', () => {
  it('LoRA-MoE with a dense router and explicit ω: rank 3·r PEFT LoRA equal to the ω-merged adapter, one warning', async () => {
    const source = await makeAdapter({ method: 'lora-moe', router: 'dense' });
    const out = fresh('peft');
    const printed = await cli([
      '--model',
      base,
      '--adapter',
      source.dir,
      '--out',
      out,
      '--weights',
      '0.2,0.5,0.3',
    ]);
    expect(printed.err).toBe(
      "warning: router 'dense' chooses ω per token: the export is exact only where it outputs ω = [0.2, 0.5, 0.3]",
    );
    expect(printed.out).toContain(
      `wrote ${path.join(out, 'adapter_config.json')}, ${path.join(out, 'adapter_model.safetensors')}: ` +
        'a plain PEFT LoRA (peft_type LORA), r = 12, lora_alpha = 24, 10 modules, 20 tensors',
    );
    // Files: PEFT names and shapes only (q_proj 32 → 32, v_proj 32 → 16 with 2 KV heads of 8).
    const { tensors } = decodeSafetensors(readFileSync(path.join(out, 'adapter_model.safetensors')));
    const p = 'base_model.model.model.layers.1';
    expect(tensors[`${p}.self_attn.v_proj.lora_A.weight`]?.shape).toEqual([12, 32]);
    expect(tensors[`${p}.self_attn.v_proj.lora_B.weight`]?.shape).toEqual([16, 12]);
    expect(
      Object.keys(tensors).every((k) =>
        /^base_model\.model\.model\.layers\.[01]\.\w+\.\w+\.lora_[AB]\.weight$/.test(k),
      ),
    ).toBe(true);
    const config = JSON.parse(readFileSync(path.join(out, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 12, lora_alpha: 24 });
    expect(Object.keys(config).filter((k) => /hydra|router|num_heads|init_seed/.test(k))).toEqual([]);

    // Reference: the original adapter merged with the same fixed ω by AdapterModel.merge (tfjs ΔW).
    source.handle.merge({ weights: [0.2, 0.5, 0.3] });
    const expected = logits(source.model);
    const exported = loadModel(base);
    await loadAdapter(exported, out);
    expect(maxDiff(logits(exported), expected)).toBeLessThanOrEqual(1e-4);
    exported.dispose();
    source.handle.unmerge();
    dispose(source);
  });

  it('leaves no tensors behind', async () => {
    const source = await makeAdapter({ method: 'hydra', router: 'uniform' });
    dispose(source);
    const before = tf.memory().numTensors;
    await runExport({ model: base, adapter: source.dir, out: fresh('peft') });
    await runExport({ model: base, adapter: source.dir, out: fresh('merged'), merge: true });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('hydralora export errors', () => {
  it('names the flag and the value, and writes nothing', async () => {
    const source = await makeAdapter({ method: 'hydra', router: 'dense' });
    dispose(source);
    const out = fresh('out');
    await expect(cli(['--model', base, '--adapter', source.dir, '--out', out])).rejects.toThrow(
      `${path.join(source.dir, 'adapter_config.json')}: --weights is required: method 'hydra' has 3 heads and its router 'dense' chooses ω per token`,
    );
    await expect(
      cli(['--model', base, '--adapter', source.dir, '--out', out, '--weights', 'head:3']),
    ).rejects.toThrow('--weights = "head:3": head 3 is out of range: the adapter has 3 head(s), 0 … 2');
    await expect(
      cli(['--model', base, '--adapter', source.dir, '--out', out, '--weights', '0.5,0.6,0']),
    ).rejects.toThrow('--weights = "0.5,0.6,0": the weights sum to 1.1, expected 1');
    await expect(
      cli(['--model', base, '--adapter', path.join(root, 'nowhere'), '--out', out]),
    ).rejects.toThrow(`${path.join(root, 'nowhere', 'adapter_config.json')}: cannot read the adapter config`);
    await expect(cli(['--model', base, '--adapter', source.dir, '--out', base])).rejects.toThrow(
      `--out: '${base}' is the --model directory; choose a new directory`,
    );
    const full = fresh('full');
    await expect(
      runExport({ model: base, adapter: source.dir, out: full, weights: 'uniform' }),
    ).resolves.toBeDefined();
    writeFileSync(path.join(full, 'notes.txt'), 'x');
    await expect(
      runExport({ model: base, adapter: source.dir, out: full, weights: 'uniform' }),
    ).rejects.toThrow(
      `--out: '${full}' exists and is not empty (adapter_config.json, adapter_model.safetensors, notes.txt); choose a new or empty directory`,
    );
    await expect(cli(['--model', base, '--adapter', source.dir])).rejects.toThrow(
      /required option '--out <dir>'/,
    );
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('--merge refuses an adapter on a tied lm_head (the update could not be saved)', async () => {
    const source = await makeAdapter({ method: 'lora' }, ['q_proj', 'lm_head']);
    dispose(source);
    const out = fresh('merged');
    await expect(runExport({ model: base, adapter: source.dir, out, merge: true })).rejects.toThrow(
      `--merge: lm_head shares its weight with model.embed_tokens.weight (tie_word_embeddings = true in ${path.join(base, 'config.json')})`,
    );
    expect(existsSync(out)).toBe(false);
    // Without --merge the same adapter exports.
    const printed = await runExport({ model: base, adapter: source.dir, out });
    expect(printed.warning).toBeNull();
    expect(printed.report).toContain('r = 4, lora_alpha = 8, 3 modules, 6 tensors');
  });
});
