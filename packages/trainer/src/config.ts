/**
 * The training configuration: one zod schema, documented per field. A config file (JSON or YAML)
 * is validated strictly — an unknown key is an error naming the key — and CLI flags override its
 * fields.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const trainConfigSchema = z
  .object({
    /** Base model directory in the Hugging Face layout (config.json, model.safetensors, tokenizer.json). */
    model: z.string().min(1),
    /** Training data: Alpaca-style JSON/JSONL or chat `messages` records. */
    data: z.string().min(1),
    /** Output directory (adapter, checkpoints, metrics.jsonl, report). */
    out: z.string().min(1).default('runs/latest'),
    /** Adapter method from the core-adapters registry: lora, split, hydra, lora-moe, … */
    method: z.string().default('hydra'),
    /** Rank of each low-rank factor. */
    r: z.number().int().positive().default(8),
    /** LoRA scaling numerator: the update is scaled by alpha / r. */
    alpha: z.number().positive().default(16),
    /** Dropout on the adapter input during training. */
    dropout: z.number().min(0).max(1).default(0.05),
    /** Number of B heads (Hydra) or LoRAs (Split, LoRA-MoE); 'auto' runs the clustering step. */
    heads: z.union([z.number().int().positive(), z.literal('auto')]).default('auto'),
    /** Largest K tried by the clustering step when heads is 'auto'. */
    kMax: z.number().int().min(2).default(8),
    /** Router strategy from the router registry (dense = the official code's). */
    router: z.string().default('dense'),
    /** PEFT target_modules: list of names/suffixes, a full-match regex, or 'all-linear'. */
    targetModules: z
      .union([z.array(z.string()).min(1), z.string()])
      .default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
    /** Weight of the routers' auxiliary losses (0 = off, as in the official code). */
    auxLossWeight: z.number().min(0).default(0),
    /** Peak learning rate. */
    lr: z.number().positive().default(2e-4),
    /** AdamW decoupled weight decay. */
    weightDecay: z.number().min(0).default(0),
    /** Linear warmup steps before the cosine decay. */
    warmupSteps: z.number().int().min(0).default(10),
    /** Optimiser steps; if absent, computed from epochs. */
    steps: z.number().int().positive().optional(),
    /** Passes over the data when `steps` is absent. */
    epochs: z.number().positive().default(1),
    /** Examples per micro-batch. */
    microBatchSize: z.number().int().positive().default(8),
    /** Micro-batches accumulated into one optimiser step. */
    gradAccumSteps: z.number().int().positive().default(1),
    /** Maximum tokens per example (prompt truncated from the left). */
    maxLength: z.number().int().min(8).default(128),
    /** Clip gradients to this global L2 norm (0 = off). */
    clipNorm: z.number().min(0).default(1),
    /** Seed for initialisation, dropout and data order. */
    seed: z.number().int().default(0),
    /** Write a checkpoint every N optimiser steps (0 = only at the end). */
    checkpointEvery: z.number().int().min(0).default(50),
    /** Log a metrics line every N steps. */
    logEvery: z.number().int().positive().default(1),
    /** Data-parallel worker threads (each with its own backend). */
    workers: z.number().int().min(1).default(1),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** Read a JSON or YAML config file; unknown keys and bad values are errors naming the file and key. */
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

/** Validate a config; `source` names where it came from in error messages. */
export function parseTrainConfig(input: Record<string, unknown>, source = 'config'): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new Error(
      `${source}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
    );
  }
  const key = issue.path.join('.') || '(root)';
  const value = issue.path.reduce<unknown>(
    (v, k) => (v as Record<string, unknown> | undefined)?.[k as string],
    input,
  );
  throw new Error(`${source}: field '${key}' = ${JSON.stringify(value)}: ${issue.message}`);
}

/** Merge a config file with CLI overrides (flags win) and validate. */
export function resolveTrainConfig(
  file: string | undefined,
  overrides: Record<string, unknown>,
): TrainConfig {
  const base = file ? readConfigFile(file) : {};
  if (file) {
    // Validate the file alone first so that its unknown keys are reported against the file.
    const unknown = Object.keys(base).filter((k) => !(k in trainConfigSchema.shape));
    if (unknown.length > 0)
      throw new Error(
        `${file}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
      );
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) merged[k] = v;
  return parseTrainConfig(merged, file ?? 'command line');
}
