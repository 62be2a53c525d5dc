/**
 * Save and load adapters in Hugging Face PEFT's layout:
 *   <dir>/adapter_config.json        PEFT's LoraConfig keys (+ documented extras for our methods)
 *   <dir>/adapter_model.safetensors  `base_model.model.<module>.lora_A.weight` [r, in],
 *                                    `….lora_B.weight` [out, r]; multi-head methods number them
 *                                    (`lora_A.<i>.weight`, `lora_B.<i>.weight`) and add the gate
 *                                    `….lora_route.weight` [N, in] (or [N, r] when routing on A·x).
 * Internally every matrix is [in, out] (kernel layout), so each is transposed on the way.
 * Methods of another kind name their own tensors and files (see `AdapterMethod.files` and
 * `configJson`): (IA)³ writes PEFT's IA3 layout (`….ia3_l`), full fine-tuning `model.safetensors`
 * in the checkpoint's own names.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@hydralora/common';
import * as tf from '@tensorflow/tfjs-core';
import { AdapterModel } from '../adapter-model.js';
import { type AdapterConfig, adapterConfigSchema, parseAdapterConfig } from '../config.js';
import type { AdapterTensor } from '../layer/module-layer.js';
import { type MethodRegistry, methodRegistry } from '../methods/registry.js';
import type { AdapterFiles, AdapterMethod } from '../methods/types.js';
import type { AdaptableModel } from '../model-types.js';
import {
  loadPromptTensors,
  PROMPT_EMBEDDINGS,
  PROMPT_GEOMETRY_KEYS,
  promptConfigJson,
} from './prompt-files.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from './safetensors.js';

export const CONFIG_FILE = 'adapter_config.json';
export const WEIGHTS_FILE = 'adapter_model.safetensors';
/** PEFT's prefix of every tensor name (PeftModel → LoraModel → the base model). */
export const PEFT_PREFIX = 'base_model.model.';

/** PEFT LoraConfig fields we write, with the values meaning "not used". */
const PEFT_FIXED = {
  auto_mapping: null,
  bias: 'none',
  fan_in_fan_out: false,
  inference_mode: true,
  init_lora_weights: true,
  layers_pattern: null,
  layers_to_transform: null,
  loftq_config: {},
  megatron_config: null,
  megatron_core: 'megatron.core',
  modules_to_save: null,
  revision: null,
  task_type: 'CAUSAL_LM',
  use_dora: false,
} as const;

/** PEFT keys we accept only at their neutral value (anything else changes the math). */
const NEUTRAL: Record<string, unknown[]> = {
  bias: ['none'],
  fan_in_fan_out: [false],
  use_dora: [false],
  modules_to_save: [null],
  layers_to_transform: [null],
  layer_replication: [null],
};
/** Other PEFT keys that carry no meaning here (read and ignored silently). */
const PEFT_IGNORED = new Set([
  ...Object.keys(PEFT_FIXED),
  'peft_type',
  'layer_replication',
  'lora_bias',
  'use_qalora',
  'qalora_group_size',
  'trainable_token_indices',
  'eva_config',
  'corda_config',
  'target_parameters',
  'runtime_config',
  'peft_version',
  'hydralora_method',
  ...PROMPT_GEOMETRY_KEYS,
]);

/** Where an adapter of `method` keeps its tensors (PEFT's file and prefix unless the method says). */
export function adapterFiles(method: AdapterMethod): AdapterFiles {
  return method.files ?? { weights: WEIGHTS_FILE, prefix: PEFT_PREFIX };
}

/** The file tensors of an adapter with their keys relative to the file's prefix. */
function fileTensors(handle: AdapterModel, name: string): { key: string; tensor: AdapterTensor }[] {
  const whole = handle.wholeModel(name);
  if (whole) return whole.tensors().map((tensor) => ({ key: tensor.key, tensor }));
  return [...handle.moduleLayers(name)].flatMap(([module, layer]) =>
    layer.tensors().map((tensor) => ({ key: `${module}.${tensor.key}`, tensor })),
  );
}

/** The shape a tensor has in the file. */
function fileShape(t: AdapterTensor): number[] {
  const shape = t.slice
    ? t.slice.axis === 0
      ? [t.slice.size, t.variable.shape[1]!]
      : [t.variable.shape[0]!, t.slice.size]
    : [...t.variable.shape];
  return t.transpose === false ? shape : shape.reverse();
}

export interface SaveOptions {
  /** Which adapter (default: the active one). */
  adapter?: string;
}

/** Write `adapter_config.json` and `adapter_model.safetensors` into `dir` (atomically, each). */
export async function saveAdapter(
  model: AdaptableModel | AdapterModel,
  dir: string,
  options: SaveOptions = {},
): Promise<void> {
  const handle = model instanceof AdapterModel ? model : AdapterModel.of(model);
  const name = options.adapter ?? handle.activeAdapter ?? 'default';
  const config = handle.config(name);
  const method = methodRegistry.get(config.method);
  const virtual = handle.virtualTokens(name);
  if (virtual) {
    const geometry = handle.model.virtualTokenGeometry!();
    await writePeftFiles(dir, promptConfigJson(config, method, geometry), {
      [PROMPT_EMBEDDINGS]: virtual.savedEmbeddings(),
    });
    return;
  }
  const tensors = adapterTensors(handle, name);
  await writePeftFiles(dir, peftConfigJson(config, method), tensors, adapterFiles(method).weights);
}

/**
 * The tensors `saveAdapter` writes for an adapter, on the host: PEFT names
 * (`base_model.model.<module>.lora_A.weight`, …) and PyTorch layout ([r, in], [out, r], [N, in]).
 */
export function adapterTensors(
  handle: AdapterModel,
  name: string,
  registry: MethodRegistry = methodRegistry,
): Record<string, HostTensor> {
  const { prefix } = adapterFiles(registry.get(handle.config(name).method));
  const tensors: Record<string, HostTensor> = {};
  for (const { key, tensor: t } of fileTensors(handle, name)) {
    const stored = tf.tidy(() => {
      const part = t.slice
        ? t.slice.axis === 0
          ? tf.slice(t.variable, [t.slice.start, 0], [t.slice.size, -1])
          : tf.slice(t.variable, [0, t.slice.start], [-1, t.slice.size])
        : t.variable;
      return t.transpose === false ? tf.clone(part) : tf.transpose(part);
    });
    tensors[`${prefix}${key}`] = { shape: stored.shape, data: Float32Array.from(stored.dataSync()) };
    stored.dispose();
  }
  return tensors;
}

/** The `adapter_config.json` object written for a config: PEFT's LoraConfig keys (+ our extras). */
export function peftConfigJson(config: AdapterConfig, method: AdapterMethod): Record<string, unknown> {
  if (method.configJson) return method.configJson(config);
  const json: Record<string, unknown> = {
    ...PEFT_FIXED,
    alpha_pattern: config.alpha_pattern,
    base_model_name_or_path: config.base_model_name_or_path,
    lora_alpha: config.lora_alpha,
    lora_dropout: config.lora_dropout,
    peft_type: method.peftType,
    r: config.r,
    rank_pattern: config.rank_pattern,
    target_modules: config.target_modules,
    use_rslora: config.use_rslora,
  };
  if (config.exclude_modules !== null) json.exclude_modules = config.exclude_modules;
  if (method.peftType !== 'LORA') {
    json.hydralora_method = method.name;
    json.init_seed = config.init_seed;
    for (const key of method.extraConfigKeys) json[key] = config[key];
  }
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => a.localeCompare(b)));
}

/** Write the weights, then the config, each atomically (a reader never sees half a file). */
export async function writePeftFiles(
  dir: string,
  configJson: Record<string, unknown>,
  tensors: Record<string, HostTensor>,
  weightsFile = WEIGHTS_FILE,
): Promise<void> {
  await writeFileAtomic(join(dir, weightsFile), encodeSafetensors(tensors, { format: 'pt' }));
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(configJson, null, 2)}\n`);
}

export interface LoadOptions {
  /** Name of the adapter on the model (default `default`). */
  adapter?: string;
  /** Receives warnings (unknown config keys, unexpected tensors); default console.warn. */
  onWarning?: (message: string) => void;
  registry?: MethodRegistry;
}

/** Read and validate an adapter_config.json into our config (PEFT LoRA files included). */
export async function readAdapterConfig(dir: string, options: LoadOptions = {}): Promise<AdapterConfig> {
  const file = join(dir, CONFIG_FILE);
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the adapter config (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${file}: expected a JSON object`);
  const registry = options.registry ?? methodRegistry;
  const method =
    typeof raw.hydralora_method === 'string'
      ? registry.get(raw.hydralora_method, file)
      : registry.byPeftType(String(raw.peft_type), file);
  const known = new Set(Object.keys(adapterConfigSchema.shape));
  const input: Record<string, unknown> = { method: method.name };
  if (method.fromConfigJson) raw = method.fromConfigJson(raw, file);
  for (const [key, value] of Object.entries(raw)) {
    const neutral = NEUTRAL[key];
    if (neutral && !neutral.includes(value)) {
      throw new Error(
        `${file}: field '${key}' = ${JSON.stringify(value)} is not supported (expected ${JSON.stringify(neutral[0])})`,
      );
    }
    if (known.has(key) && key !== 'method') {
      if (
        value !== null ||
        key === 'exclude_modules' ||
        key === 'base_model_name_or_path' ||
        key === 'router_top_k'
      ) {
        input[key] = value;
      }
    } else if (!PEFT_IGNORED.has(key)) {
      warn(`${file}: unknown key '${key}' ignored`);
    }
  }
  if (input.rank_pattern === undefined) input.rank_pattern = {};
  return parseAdapterConfig(input, file);
}

/**
 * Inject the adapter saved in `dir` into `model` and load its tensors. Missing tensors and wrong
 * shapes are errors naming them (the half-built adapter is removed again); unexpected tensors warn.
 */
export async function loadAdapter(
  model: AdaptableModel,
  dir: string,
  options: LoadOptions = {},
): Promise<AdapterModel> {
  const config = await readAdapterConfig(dir, options);
  const method = (options.registry ?? methodRegistry).get(config.method, join(dir, CONFIG_FILE));
  const { tensors, file } = await readAdapterWeights(dir, adapterFiles(method).weights);
  return loadAdapterTensors(model, config, tensors, {
    ...options,
    source: join(dir, CONFIG_FILE),
    weightsFile: file,
  });
}

/**
 * Inject an adapter of `config` into `model` and assign its tensors (PEFT names and PyTorch
 * layout, as {@link adapterTensors} returns them). Missing tensors and wrong shapes are errors
 * naming them (the half-built adapter is removed again); unexpected tensors warn.
 */
export function loadAdapterTensors(
  model: AdaptableModel,
  config: AdapterConfig,
  tensors: Record<string, HostTensor>,
  options: LoadOptions & { source: string; weightsFile: string },
): AdapterModel {
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const file = options.weightsFile;
  const name = options.adapter ?? 'default';
  const handle = AdapterModel.of(model).add(name, config, {
    registry: options.registry,
    source: options.source,
    loading: true,
  });
  const virtual = handle.virtualTokens(name);
  try {
    if (virtual) loadPromptTensors(virtual, tensors, file, warn);
    else assignAdapterTensors(handle, name, tensors, options);
  } catch (error) {
    handle.deleteAdapter(name);
    throw error;
  }
  return handle;
}

export interface AssignOptions {
  /** The file the tensors came from, for error messages. */
  weightsFile: string;
  /** Receives the warning about unexpected tensors; default console.warn. */
  onWarning?: (message: string) => void;
  registry?: MethodRegistry;
}

/**
 * Assign tensors (PEFT names and PyTorch layout, as {@link adapterTensors} returns them) to the
 * variables of adapter `name`, already on the model: nothing is injected or freed, the layers
 * and their variables stay the same objects (LoraHub assigns each candidate composition this way).
 * Every tensor is checked before any is assigned: missing tensors and wrong shapes are errors
 * naming the file and the tensor (the adapter is then left as it was); unexpected tensors warn.
 * Not for prompt-learning adapters (their tensors are loaded by `loadAdapterTensors`).
 */
export function assignAdapterTensors(
  handle: AdapterModel,
  name: string,
  tensors: Record<string, HostTensor>,
  options: AssignOptions,
): void {
  const warn = options.onWarning ?? ((m: string) => console.warn(m));
  const file = options.weightsFile;
  const config = handle.config(name);
  if (handle.virtualTokens(name))
    throw new Error(
      `${file}: adapter '${name}' (${config.method}) adds virtual tokens; load its tensors with loadAdapterTensors`,
    );
  const { prefix } = adapterFiles((options.registry ?? methodRegistry).get(config.method, file));
  const expected = new Set<string>();
  const missing: string[] = [];
  const wrong: string[] = [];
  const assignments: [AdapterTensor, HostTensor][] = [];
  for (const { key: relative, tensor: t } of fileTensors(handle, name)) {
    const key = `${prefix}${relative}`;
    expected.add(key);
    const found = tensors[key];
    const shape = fileShape(t);
    if (!found) missing.push(key);
    else if (found.shape.join(',') !== shape.join(','))
      wrong.push(`${key} is [${found.shape}], expected [${shape}]`);
    else assignments.push([t, found]);
  }
  if (missing.length || wrong.length) {
    throw new Error(
      `${file}: ${missing.length ? `missing tensors: ${missing.join(', ')}` : ''}` +
        `${missing.length && wrong.length ? '; ' : ''}${wrong.length ? `wrong shapes: ${wrong.join('; ')}` : ''}`,
    );
  }
  const unexpected = Object.keys(tensors).filter((k) => !expected.has(k));
  if (unexpected.length) warn(`${file}: unexpected tensors ignored: ${unexpected.join(', ')}`);
  // Heads of one variable come in order and cover it: concatenate them along their axis.
  const byVariable = new Map<tf.Variable, { axis: 0 | 1; transpose: boolean; parts: HostTensor[] }>();
  for (const [t, host] of assignments) {
    const entry = byVariable.get(t.variable) ?? {
      axis: t.slice?.axis ?? 0,
      transpose: t.transpose !== false,
      parts: [],
    };
    entry.parts.push(host);
    byVariable.set(t.variable, entry);
  }
  for (const [variable, { axis, transpose, parts }] of byVariable) {
    tf.tidy(() => {
      const pieces = parts.map((h) => {
        const stored = tf.tensor(h.data, h.shape, 'float32');
        return transpose ? tf.transpose(stored) : stored;
      });
      variable.assign(pieces.length === 1 ? (pieces[0] as tf.Tensor) : tf.concat(pieces, axis));
    });
  }
}

/** Read and decode `adapter_model.safetensors` of an adapter directory (errors name the file). */
export async function readAdapterWeights(
  dir: string,
  weightsFile = WEIGHTS_FILE,
): Promise<{ tensors: Record<string, HostTensor>; file: string }> {
  const file = join(dir, weightsFile);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(`${file}: cannot read the adapter weights (${(error as Error).message})`);
  }
  return { tensors: decodeSafetensors(bytes, file).tensors, file };
}
