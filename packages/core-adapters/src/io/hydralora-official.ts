/**
 * The checkpoint layout of the official HydraLoRA code (github.com/Clin0212/HydraLoRA, a fork of
 * PEFT 0.3): what a PyTorch + DeepSpeed run writes, and what it loads.
 *
 *   adapter_config.json   {"peft_type": "LORA", "r", "lora_alpha", "lora_dropout", "lora_nums",
 *                          "target_modules", "bias": "none", … } — its LoraConfig fields only
 *   adapter_model.bin     torch.save of the state dict (or adapter_model.safetensors)
 *     base_model.model.<module>.lora_A.weight      [r, in]   the shared A
 *     base_model.model.<module>.lora_B<i>.weight   [out, r]  head i = 0 … lora_nums − 1
 *     base_model.model.<module>.lora_route.weight  [lora_nums, in]  the gate
 *
 * Its layer computes y = W₀x + Σᵢ softmax(lora_route·x)ᵢ · B_i·A·dropout(x) · α/r: our `hydra`
 * method with the dense router on x and α/r scaling, so the two convert into each other exactly;
 * only the head names differ (`lora_B<i>` there, `lora_B.<i>` in our PEFT-style files). The
 * official `blc_alpha`/`blc_weight` (a training-time balance loss) do not affect the weights and
 * are written as 0.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, toFloat32, writeFileAtomic, writeJsonAtomic } from '@hydralora/common';
import { AdapterModel } from '../adapter-model.js';
import { type AdapterConfig, parseAdapterConfig } from '../config.js';
import type { AdaptableModel } from '../model-types.js';
import {
  adapterTensors,
  CONFIG_FILE,
  type LoadOptions,
  loadAdapterTensors,
  PEFT_PREFIX,
  WEIGHTS_FILE,
} from './peft-files.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from './safetensors.js';
import { readTorchCheckpoint, writeTorchCheckpoint } from './torch/torch-bin.js';

/** The weights file the official code writes (`torch.save`). */
export const OFFICIAL_BIN_FILE = 'adapter_model.bin';

/** Official LoraConfig keys that must hold their neutral value (anything else changes the math). */
const OFFICIAL_NEUTRAL: Record<string, unknown[]> = {
  bias: ['none'],
  fan_in_fan_out: [false],
  enable_lora: [null],
  modules_to_save: [null],
};
/** Keys of the official LoraConfig (and PeftConfig) that carry nothing we need. */
const OFFICIAL_IGNORED = new Set([
  'peft_type',
  'task_type',
  'inference_mode',
  'merge_weights',
  'blc_alpha',
  'blc_weight',
]);

/** Whether an adapter_config.json object is in the official HydraLoRA layout (has `lora_nums`). */
export function isOfficialHydraLoraConfig(json: unknown): boolean {
  return json !== null && typeof json === 'object' && 'lora_nums' in json;
}

/** The official adapter_config.json as our `hydra` config. Errors name the file, field and value. */
export function configFromOfficial(
  json: Record<string, unknown>,
  file = CONFIG_FILE,
  onWarning: (message: string) => void = (m) => console.warn(m),
): AdapterConfig {
  if (json.peft_type !== 'LORA') {
    throw new Error(
      `${file}: field 'peft_type' = ${JSON.stringify(json.peft_type)}; the official HydraLoRA layout has "LORA"`,
    );
  }
  const input: Record<string, unknown> = {
    method: 'hydra',
    router: 'dense',
    router_input: 'x',
    use_rslora: false,
  };
  for (const [key, value] of Object.entries(json)) {
    const neutral = OFFICIAL_NEUTRAL[key];
    if (neutral) {
      if (!neutral.includes(value)) {
        throw new Error(
          `${file}: field '${key}' = ${JSON.stringify(value)} is not supported (expected ${JSON.stringify(neutral[0])})`,
        );
      }
    } else if (key === 'lora_nums') input.num_heads = value;
    else if (['r', 'lora_alpha', 'lora_dropout', 'target_modules'].includes(key)) input[key] = value;
    else if (key === 'base_model_name_or_path') input[key] = value ?? null;
    else if (!OFFICIAL_IGNORED.has(key)) onWarning(`${file}: unknown key '${key}' ignored`);
  }
  if (input.lora_dropout === null) input.lora_dropout = 0;
  return parseAdapterConfig(input, file);
}

/** Our config as the official adapter_config.json; only the `hydra` method with a dense router on x fits it. */
export function configToOfficial(config: AdapterConfig): Record<string, unknown> {
  const unfit: [string, unknown, unknown][] = [
    ['method', config.method, 'hydra'],
    ['router', config.router, 'dense'],
    ['router_input', config.router_input, 'x'],
    ['use_rslora', config.use_rslora, false],
    ['router_top_k', config.router_top_k, null],
    ['exclude_modules', config.exclude_modules, null],
  ];
  for (const [field, value, needed] of unfit) {
    if (value !== needed) {
      throw new Error(
        `adapter config: field '${field}' = ${JSON.stringify(value)} has no equivalent in the official HydraLoRA layout (needs ${JSON.stringify(needed)})`,
      );
    }
  }
  for (const field of ['rank_pattern', 'alpha_pattern'] as const) {
    if (Object.keys(config[field]).length > 0) {
      throw new Error(
        `adapter config: field '${field}' = ${JSON.stringify(config[field])} has no equivalent in the official HydraLoRA layout (one r and α for every module)`,
      );
    }
  }
  return {
    base_model_name_or_path: config.base_model_name_or_path ?? null,
    bias: 'none',
    blc_alpha: 0,
    blc_weight: 0,
    enable_lora: null,
    fan_in_fan_out: false,
    inference_mode: true,
    lora_alpha: config.lora_alpha,
    lora_dropout: config.lora_dropout,
    lora_nums: config.num_heads,
    merge_weights: false,
    modules_to_save: null,
    peft_type: 'LORA',
    r: config.r,
    target_modules: config.target_modules,
    task_type: 'CAUSAL_LM',
  };
}

const OFFICIAL_HEAD = /\.lora_B(\d+)\.weight$/;
const OUR_HEAD = /\.lora_B(?:\.(\d+))?\.weight$/;

/** Official tensor names → ours (`lora_B<i>` → `lora_B.<i>`, or `lora_B` for a single head). */
export function tensorsFromOfficial(
  tensors: Record<string, HostTensor>,
  numHeads: number,
  file = OFFICIAL_BIN_FILE,
): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [key, tensor] of Object.entries(tensors)) {
    const prefixed = key.startsWith(PEFT_PREFIX) ? key : `${PEFT_PREFIX}${key}`;
    const head = OFFICIAL_HEAD.exec(prefixed);
    let name = prefixed;
    if (head) {
      const i = Number(head[1]);
      if (i >= numHeads)
        throw new Error(`${file}: tensor "${key}" is head ${i} but lora_nums is ${numHeads}`);
      name = prefixed.replace(OFFICIAL_HEAD, numHeads === 1 ? '.lora_B.weight' : `.lora_B.${i}.weight`);
    }
    if (name in out) throw new Error(`${file}: tensor "${key}" is given twice`);
    out[name] = tensor;
  }
  return out;
}

/** Our tensor names → the official ones. */
export function tensorsToOfficial(tensors: Record<string, HostTensor>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [key, tensor] of Object.entries(tensors)) {
    out[key.replace(OUR_HEAD, (_, i: string | undefined) => `.lora_B${i ?? 0}.weight`)] = tensor;
  }
  return out;
}

/**
 * Read an official HydraLoRA checkpoint folder: its config and tensors, converted to our names.
 * Weights come from `adapter_model.safetensors` when present, else `adapter_model.bin` (read
 * without executing any pickle code).
 */
export async function readOfficialHydraLora(
  dir: string,
  options: Pick<LoadOptions, 'onWarning'> = {},
): Promise<{ config: AdapterConfig; tensors: Record<string, HostTensor>; file: string }> {
  const configFile = join(dir, CONFIG_FILE);
  const json = await readJsonFile(configFile);
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !isOfficialHydraLoraConfig(json)) {
    throw new Error(
      `${configFile}: not an official HydraLoRA config (no 'lora_nums'); use loadAdapter for PEFT files`,
    );
  }
  const config = configFromOfficial(json as Record<string, unknown>, configFile, options.onWarning);
  const safetensors = join(dir, WEIGHTS_FILE);
  const bin = join(dir, OFFICIAL_BIN_FILE);
  const file = existsSync(safetensors) ? safetensors : bin;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new Error(`${dir}: no ${WEIGHTS_FILE} or ${OFFICIAL_BIN_FILE} (${(error as Error).message})`);
  }
  let raw: Record<string, HostTensor>;
  if (file === safetensors) raw = decodeSafetensors(bytes, file).tensors;
  else {
    raw = {};
    for (const [name, t] of readTorchCheckpoint(bytes, file)) {
      raw[name] = {
        shape: t.shape,
        data: t.dtype === 'F32' ? (t.data as Float32Array) : toFloat32(t.data, t.dtype),
      };
    }
  }
  return { config, tensors: tensorsFromOfficial(raw, config.num_heads, file), file };
}

/** Inject the official HydraLoRA checkpoint in `dir` into `model` as a `hydra` adapter. */
export async function loadOfficialHydraLora(
  model: AdaptableModel,
  dir: string,
  options: LoadOptions = {},
): Promise<AdapterModel> {
  const { config, tensors, file } = await readOfficialHydraLora(dir, options);
  return loadAdapterTensors(model, config, tensors, {
    ...options,
    source: join(dir, CONFIG_FILE),
    weightsFile: file,
  });
}

/** Options of {@link saveOfficialHydraLora}. */
export interface OfficialSaveOptions {
  /** Which adapter (default: the active one). */
  adapter?: string;
  /** `bin` (torch.save, what the official code writes; default) or `safetensors`. */
  format?: 'bin' | 'safetensors';
}

/**
 * Write a `hydra` adapter in the official layout (`adapter_config.json` + `adapter_model.bin`
 * or `.safetensors`), each file atomically, for `PeftModel.from_pretrained` of the official code.
 */
export async function saveOfficialHydraLora(
  model: AdaptableModel | AdapterModel,
  dir: string,
  options: OfficialSaveOptions = {},
): Promise<void> {
  const handle = model instanceof AdapterModel ? model : AdapterModel.of(model);
  const name = options.adapter ?? handle.activeAdapter ?? 'default';
  if (handle.virtualTokens(name)) {
    throw new Error(
      `saveOfficialHydraLora: adapter '${name}' (${handle.config(name).method}) adds virtual tokens; the official HydraLoRA layout holds LoRA updates only`,
    );
  }
  const configJson = configToOfficial(handle.config(name));
  const tensors = tensorsToOfficial(adapterTensors(handle, name));
  if ((options.format ?? 'bin') === 'bin') {
    const typed = Object.fromEntries(
      Object.entries(tensors).map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: t.data }]),
    );
    await writeFileAtomic(join(dir, OFFICIAL_BIN_FILE), writeTorchCheckpoint(typed, 'adapter_model'));
  } else {
    await writeFileAtomic(join(dir, WEIGHTS_FILE), encodeSafetensors(tensors, { format: 'pt' }));
  }
  await writeJsonAtomic(join(dir, CONFIG_FILE), configJson);
}
