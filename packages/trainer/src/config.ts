/**
 * Configuration, in two layers. {@link trainingArgumentsSchema}: how to train (optimiser,
 * schedule, batching, checkpoints), documented per field with its default — what `Trainer` takes
 * from code. {@link trainConfigSchema}: a whole run from files (what `hydralora train` and a
 * config file describe): the base model folder, the data file, the output folder, the training
 * arguments, and `adapter`, which is the core-adapters config itself in PEFT's keys (`r`,
 * `lora_alpha`, `target_modules`, `use_rslora`, `rank_pattern`, `router_aux`, …) with the
 * trainer's defaults and `num_heads: 'auto'` (choose N by the clustering elbow).
 */
import { readFileSync } from 'node:fs';
import { type AdapterConfig, adapterConfigSchema, methodRegistry } from '@hydralora/core-adapters';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { scheduleNames } from './optim.js';

export const trainingArgumentsSchema = z
  .object({
    lr: z.number().positive().default(2e-4).describe('peak learning rate'),
    schedule: z
      .string()
      .default('cosine')
      .refine((s) => scheduleNames().includes(s), {
        message: `expected one of: ${scheduleNames().join(', ')}`,
      })
      .describe('learning-rate schedule after the warmup (cosine to 0, linear to 0, constant)'),
    warmupSteps: z.number().int().min(0).default(10).describe('linear warmup steps'),
    weightDecay: z.number().min(0).default(0).describe('AdamW decoupled weight decay'),
    beta1: z.number().min(0).lt(1).default(0.9).describe('AdamW β₁'),
    beta2: z.number().min(0).lt(1).default(0.999).describe('AdamW β₂'),
    clipNorm: z.number().min(0).default(1).describe('clip gradients to this global L2 norm (0 = off)'),
    steps: z.number().int().positive().optional().describe('optimiser steps (default: from epochs)'),
    epochs: z.number().positive().default(1).describe('passes over the data when steps is absent'),
    microBatchSize: z.number().int().positive().default(8).describe('examples per micro-batch'),
    gradAccumSteps: z.number().int().positive().default(1).describe('micro-batches per optimiser step'),
    maxLength: z
      .number()
      .int()
      .min(8)
      .default(128)
      .describe('tokens per example (the prompt is cut from the left)'),
    seed: z.number().int().default(0).describe('seed of data order, dropout and (by default) initialisation'),
    checkpointEvery: z
      .number()
      .int()
      .min(0)
      .default(50)
      .describe('write a checkpoint every N steps (0 = only at the end)'),
    keepCheckpoints: z.number().int().min(1).default(2).describe('checkpoints of this run kept on disk'),
    logEvery: z.number().int().positive().default(1).describe('write a metrics line every N steps'),
    evalEvery: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('held-out loss every N steps when evaluation data is given (0 = only at the end)'),
    earlyStoppingPatience: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('stop after this many evaluations without improvement (0 = off)'),
    maxParamNorm: z
      .number()
      .positive()
      .default(1e4)
      .describe('divergence guard: stop when the trainable parameters global norm exceeds this'),
  })
  .strict();

export type TrainingArguments = z.output<typeof trainingArgumentsSchema>;
export type TrainingArgumentsInput = z.input<typeof trainingArgumentsSchema>;

/** Target modules the trainer adapts by default: every projection of a LLaMA block. */
export const DEFAULT_TARGET_MODULES = [
  'q_proj',
  'k_proj',
  'v_proj',
  'o_proj',
  'gate_proj',
  'up_proj',
  'down_proj',
];

/**
 * The trainer's defaults for the adapter section (the core-adapters defaults apply to every
 * other field): HydraLoRA, dropout 0.05, every projection, N chosen by the clustering elbow.
 */
export const TRAINER_ADAPTER_DEFAULTS = {
  method: 'hydra',
  lora_dropout: 0.05,
  target_modules: DEFAULT_TARGET_MODULES,
  num_heads: 'auto',
} as const;

/** The adapter section of a run: the core-adapters config, with `num_heads` possibly 'auto'. */
export type TrainAdapterConfig = Omit<AdapterConfig, 'num_heads'> & { num_heads: number | 'auto' };

const runFields = {
  model: z.string().min(1).describe('base model folder (Hugging Face layout)'),
  data: z.string().min(1).describe('training data: Alpaca-style JSON/JSONL or chat `messages` records'),
  evalData: z.string().min(1).optional().describe('held-out data in the same format (evaluation loss)'),
  out: z
    .string()
    .min(1)
    .default('runs/latest')
    .describe('output folder (adapter, checkpoints, metrics.jsonl, run.json)'),
  kMax: z.number().int().min(2).default(8).describe("largest K tried when adapter.num_heads is 'auto'"),
  adapter: z
    .record(z.string(), z.unknown())
    .default({})
    .describe(
      'adapter config in PEFT keys (core-adapters schema); trainer defaults: TRAINER_ADAPTER_DEFAULTS',
    ),
};

/** A run from files; `adapter` is validated by the core-adapters schema in {@link parseTrainConfig}. */
export const trainConfigSchema = trainingArgumentsSchema.extend(runFields).strict();

export type TrainConfig = Omit<z.output<typeof trainConfigSchema>, 'adapter'> & {
  adapter: TrainAdapterConfig;
};
export type TrainConfigInput = Omit<z.input<typeof trainConfigSchema>, 'adapter'> & {
  adapter?: Record<string, unknown>;
};

/** Keys of the former flat config, with where they live now (for a helpful error). */
const MOVED_KEYS: Record<string, string> = {
  method: 'adapter.method',
  r: 'adapter.r',
  alpha: 'adapter.lora_alpha',
  dropout: 'adapter.lora_dropout',
  heads: 'adapter.num_heads',
  router: 'adapter.router',
  targetModules: 'adapter.target_modules',
  auxLossWeight: 'adapter.router_aux.load_balance',
};

function value(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[key as string];
  return v;
}

function unknownKeys(source: string, names: readonly string[], prefix = ''): Error {
  const keys = names.map((k) => {
    const moved = prefix === '' ? MOVED_KEYS[k] : undefined;
    return `'${prefix}${k}'${moved ? ` (now '${moved}')` : ''}`;
  });
  return new Error(`${source}: unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`);
}

function schemaError(source: string, input: unknown, error: z.ZodError, prefix = ''): Error {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') return unknownKeys(source, issue.keys, prefix);
  const key = `${prefix}${issue.path.join('.')}` || '(root)';
  if (value(input, issue.path) === undefined && issue.code === 'invalid_type')
    return new Error(`${source}: field '${key}' is required`);
  return new Error(
    `${source}: field '${key}' = ${JSON.stringify(value(input, issue.path))}: ${issue.message}`,
  );
}

/** Validate training arguments; errors name the source, the field and the value. */
export function parseTrainingArguments(
  input: TrainingArgumentsInput = {},
  source = 'training arguments',
): TrainingArguments {
  const result = trainingArgumentsSchema.safeParse(input);
  if (!result.success) throw schemaError(source, input, result.error);
  return result.data;
}

/**
 * The adapter section with the trainer's defaults, then the method's own (`AdapterMethod.defaults`:
 * (IA)³'s k_proj, v_proj, down_proj targets, …), validated by the core-adapters schema
 * (`num_heads: 'auto'` is kept for the clustering step). `init_seed` defaults to |seed| and
 * `base_model_name_or_path` to the model folder. A method whose layers route by component
 * (LoRA-Split) gets its learned router (`split_router`) unless the input sets it, so that the
 * saved adapter can pick a component at inference.
 */
export function resolveAdapterSection(
  input: Record<string, unknown>,
  run: { seed: number; model: string },
  source = 'config',
): TrainAdapterConfig {
  const methodName = typeof input.method === 'string' ? input.method : TRAINER_ADAPTER_DEFAULTS.method;
  const methodDefaults = methodRegistry.get(methodName, source).defaults ?? {};
  const merged: Record<string, unknown> = { ...TRAINER_ADAPTER_DEFAULTS, ...methodDefaults, ...input };
  const auto = merged.num_heads === 'auto';
  merged.init_seed ??= Math.abs(run.seed);
  merged.base_model_name_or_path ??= run.model;
  const result = adapterConfigSchema.safeParse({ ...merged, num_heads: auto ? 1 : merged.num_heads });
  if (!result.success) throw schemaError(source, merged, result.error, 'adapter.');
  const config = result.data;
  if (input.split_router === undefined && routesByComponent(config, source)) config.split_router = true;
  return { ...config, num_heads: auto ? 'auto' : config.num_heads };
}

/** Whether the method routes each sample to one component (LoRA-Split): it needs component ids in training. */
export function routesByComponent(
  config: Omit<AdapterConfig, 'num_heads'>,
  source = 'adapter config',
): boolean {
  return (
    methodRegistry.get(config.method, source).shape({ ...config, num_heads: 2 }).weighting === 'component'
  );
}

/** Validate a run config; `source` names where it came from in error messages. */
export function parseTrainConfig(input: Record<string, unknown>, source = 'config'): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (!result.success) throw schemaError(source, input, result.error);
  const adapter = resolveAdapterSection(result.data.adapter, result.data, source);
  return { ...result.data, adapter };
}

/** Read a JSON or YAML config file; errors name the file. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: cannot parse: ${(error as Error).message}`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new Error(`${file}: expected a mapping of config keys`);
  return data as Record<string, unknown>;
}

/**
 * Merge a config file with overrides (command-line flags win; `adapter` is merged key by key)
 * and validate. Unknown keys of the file are reported against the file.
 */
export function resolveTrainConfig(
  file: string | undefined,
  overrides: Record<string, unknown> & { adapter?: Record<string, unknown> },
): TrainConfig {
  const base = file ? readConfigFile(file) : {};
  if (file) {
    const unknown = Object.keys(base).filter((k) => !(k in trainConfigSchema.shape));
    if (unknown.length > 0) throw unknownKeys(file, unknown);
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined && k !== 'adapter') merged[k] = v;
  const adapter: Record<string, unknown> = { ...((base.adapter as Record<string, unknown>) ?? {}) };
  for (const [k, v] of Object.entries(overrides.adapter ?? {})) if (v !== undefined) adapter[k] = v;
  merged.adapter = adapter;
  return parseTrainConfig(merged, file ?? 'command line');
}

/** Help text of a training-argument or run field (its `.describe`), for CLIs and docs. */
export function describeField(name: string): string | undefined {
  const field = (trainConfigSchema.shape as Record<string, z.ZodType>)[name];
  return field?.description;
}
