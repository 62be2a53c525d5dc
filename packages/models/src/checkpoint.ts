/**
 * Model directories in Hugging Face layout: `config.json` + `model.safetensors` (or shards with
 * `model.safetensors.index.json`). Load, save, create with random weights, and generate a small
 * random checkpoint on disk (for tests and benchmarks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type FloatDtype as SafetensorsDtype,
  writeFileAtomicSync as writeFileAtomic,
} from '@hydralora/common';
import { type LlamaConfig, type LlamaConfigInput, type ParseConfigOptions, parseConfig } from './config.js';
import { type BuildOptions, LlamaForCausalLM } from './model.js';
import { SafetensorsCheckpoint, type TensorToWrite, writeSafetensors } from './safetensors.js';
import { writeTinyTokenizer } from './tiny-tokenizer.js';
import { checkpointShapes, type RandomInitOptions, randomCheckpointTensors, transpose2d } from './weights.js';

/** Options of `loadModel`. */
export interface LoadOptions extends BuildOptions, ParseConfigOptions {}

/** Read and validate `dir/config.json`. */
export function loadConfig(dir: string, options: ParseConfigOptions = {}): LlamaConfig {
  const file = path.join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read model config (${(error as Error).message})`);
  }
  return parseConfig(raw, file, options);
}

/** Tensors that some checkpoints carry and the model recomputes or shares. */
function isIgnorable(name: string, config: LlamaConfig): boolean {
  return name.endsWith('.rotary_emb.inv_freq') || (config.tie_word_embeddings && name === 'lm_head.weight');
}

/**
 * Load a model directory. Weights are read one tensor at a time (F32/F16/BF16 → float32) and
 * checked against the config's shapes; missing or unexpected tensors are errors.
 */
export function loadModel(dir: string, options: LoadOptions = {}): LlamaForCausalLM {
  const config = loadConfig(dir, options);
  const ckpt = SafetensorsCheckpoint.open(dir);
  const expected = new Set(checkpointShapes(config).map(([name]) => name));
  const unexpected = ckpt.names().filter((n) => !expected.has(n) && !isIgnorable(n, config));
  if (unexpected.length > 0) {
    const shown = unexpected.slice(0, 5).map((n) => `"${n}" (in ${ckpt.info(n)?.file})`);
    throw new Error(
      `${dir}: unexpected tensor(s) ${shown.join(', ')}${unexpected.length > 5 ? ` and ${unexpected.length - 5} more` : ''} for ${config.architectures[0]} with this config.json`,
    );
  }
  return new LlamaForCausalLM(config, (name, shape) => ckpt.read(name, shape), options);
}

/** Options of `createModel`. */
export interface CreateOptions extends BuildOptions, RandomInitOptions {}

/** A model with deterministic random weights (same values as `generateRandomCheckpoint`). */
export function createModel(
  config: LlamaConfigInput | LlamaConfig,
  options: CreateOptions = {},
): LlamaForCausalLM {
  const parsed = parseConfig(config, 'createModel config');
  const tensors = randomCheckpointTensors(parsed, options);
  return new LlamaForCausalLM(parsed, (name) => tensors.get(name) as TensorToWrite, options);
}

/** Options of `saveModel`. */
export interface SaveOptions {
  /** Storage dtype of the weights (default F32). */
  dtype?: SafetensorsDtype;
}

/**
 * Save `model` as `dir/config.json` + `dir/model.safetensors` in Hugging Face layout (linear
 * weights transposed back to [out, in]), each file written atomically.
 */
export function saveModel(model: LlamaForCausalLM, dir: string, options: SaveOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const params = model.parameters();
  const entries: [string, TensorToWrite][] = checkpointShapes(model.config).map(([name, shape]) => {
    const v = params.get(name);
    if (!v) throw new Error(`saveModel: the model has no parameter "${name}"`);
    const data = v.dataSync() as Float32Array;
    const hf =
      shape.length === 2 && name !== 'model.embed_tokens.weight'
        ? transpose2d(data, shape[1] as number, shape[0] as number)
        : Float32Array.from(data);
    return [name, { shape, data: hf, dtype: options.dtype ?? 'F32' }];
  });
  writeSafetensors(path.join(dir, 'model.safetensors'), entries);
  writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(model.config, null, 2)}\n`);
}

/** Options of `generateRandomCheckpoint`. */
export interface GenerateCheckpointOptions extends RandomInitOptions {
  /** Storage dtype (default F32). */
  dtype?: SafetensorsDtype;
  /** Also write a tiny byte-level tokenizer.json/tokenizer_config.json (default true). */
  tokenizer?: boolean;
}

/**
 * Write a random checkpoint for `config` to `dir` in Hugging Face layout: `config.json`,
 * `model.safetensors` and (unless disabled) a tiny tokenizer. Deterministic per seed.
 */
export function generateRandomCheckpoint(
  config: LlamaConfigInput,
  dir: string,
  options: GenerateCheckpointOptions = {},
): LlamaConfig {
  const parsed = parseConfig(config, 'generateRandomCheckpoint config');
  fs.mkdirSync(dir, { recursive: true });
  const tensors = randomCheckpointTensors(parsed, options);
  const dtype = options.dtype ?? 'F32';
  writeSafetensors(
    path.join(dir, 'model.safetensors'),
    [...tensors].map(([name, t]) => [name, { ...t, dtype }]),
  );
  writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(parsed, null, 2)}\n`);
  if (options.tokenizer ?? true) writeTinyTokenizer(dir, parsed.vocab_size);
  return parsed;
}
