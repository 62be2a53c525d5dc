import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig } from '../../config.js';
import type { ModuleLayer } from '../../layer/module-layer.js';
import {
  type AdapterMethod,
  type AfterStepContext,
  type CheckpointStateContext,
  type MethodCheckpointState,
  PLAIN_SHAPE,
} from '../types.js';
import { type HostMoments, RankAllocator } from './allocator.js';
import { type AdaLoraGroup, AdaLoraLayer } from './layer.js';

/** The layers of one adapter share a group: their count and, once training runs, the allocator. */
type Group = AdaLoraGroup & { allocator?: RankAllocator };
const groups = new WeakMap<AdapterConfig, Group>();

/** adapter_config.json with PEFT's AdaLoraConfig keys (PEFT loads it as `ADALORA`). */
function adaloraConfigJson(config: AdapterConfig): Record<string, unknown> {
  const json: Record<string, unknown> = {
    base_model_name_or_path: config.base_model_name_or_path,
    beta1: config.beta1,
    beta2: config.beta2,
    bias: 'none',
    deltaT: config.deltaT,
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    init_r: config.init_r,
    lora_alpha: config.lora_alpha,
    lora_dropout: config.lora_dropout,
    modules_to_save: null,
    orth_reg_weight: config.orth_reg_weight,
    peft_type: 'ADALORA',
    r: config.init_r,
    // Trained here, the tensors keep all init_r triplets (masked ones with Λ = 0): no resize
    // pattern. Loaded from PEFT's resized files, the layers hold the kept triplets: their pattern.
    rank_pattern:
      config.rank_masks &&
      Object.fromEntries(Object.entries(config.rank_masks).map(([m, keep]) => [`${m}.lora_E`, keep])),
    target_modules: config.target_modules,
    target_r: config.target_r,
    task_type: 'CAUSAL_LM',
    tfinal: config.tfinal,
    tinit: config.tinit,
    // PEFT refuses a null total_step: once trained, the schedule's (the trainer's steps) is written.
    total_step: config.total_step ?? groups.get(config)?.allocator?.schedule.totalStep ?? null,
  };
  if (config.exclude_modules !== null) json.exclude_modules = config.exclude_modules;
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * PEFT writes the kept triplets as `rank_pattern: { "<module>.lora_E": [true, false, …] }` (its
 * tensors then cut to them); our `rank_pattern` is LoRA's per-module rank, so they move to
 * `rank_masks`, keyed by module name.
 */
function fromConfigJson(raw: Record<string, unknown>, source: string): Record<string, unknown> {
  const pattern = raw.rank_pattern;
  if (pattern === null || pattern === undefined || typeof pattern !== 'object') return raw;
  const masks: Record<string, boolean[]> = {};
  for (const [key, value] of Object.entries(pattern as Record<string, unknown>)) {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'boolean')) {
      throw new Error(
        `${source}: field 'rank_pattern' entry '${key}' = ${JSON.stringify(value)} is not a list of booleans (AdaLoRA's kept triplets)`,
      );
    }
    masks[key.replace(/\.lora_E$/, '')] = value as boolean[];
  }
  const { rank_pattern: _, ...rest } = raw;
  return Object.keys(masks).length > 0 ? { ...rest, rank_masks: masks } : rest;
}

function adaloraLayers(layers: Map<string, ModuleLayer>): AdaLoraLayer[] {
  return [...layers.values()].filter((l): l is AdaLoraLayer => l instanceof AdaLoraLayer);
}

/** Importance update and rank masking after one optimiser step (PEFT's `update_and_allocate`). */
function afterStep(context: AfterStepContext): void {
  const { config, grads, step } = context;
  const group = groups.get(config);
  if (!group) throw new Error(`${context.source}: AdaLoRA adapter has no layers`);
  let allocator = group.allocator;
  if (!allocator) {
    const totalStep = config.total_step ?? context.totalSteps;
    if (totalStep === undefined) {
      throw new Error(
        `${context.source}: field 'total_step' = null: AdaLoRA's budget schedule needs the total number of steps (set total_step or pass totalSteps)`,
      );
    }
    allocator = new RankAllocator(adaloraLayers(context.layers), config, totalStep, context.source);
    group.allocator = allocator;
  }
  allocator.step(step, (layer) => layer.variables().map((_, i) => grads.get(`${layer.module}#${i}`)));
}

/** The allocator of an adapter's config, once training has stepped (tests, telemetry). */
export function adaloraAllocator(config: AdapterConfig): RankAllocator | undefined {
  return groups.get(config)?.allocator;
}

const IPT = 'ipt/';
const UNC = 'unc/';

/**
 * The allocator's state for a training checkpoint: the moments Ī and Ū of every variable
 * (tensors `ipt/<module>#<i>`, `unc/<module>#<i>`), the schedule's total step (null before the
 * first step) and each module's current mask (`rankMasks`; null where none was applied yet).
 * The masked Λ themselves are zeros in the variables, which the checkpoint holds already.
 */
function checkpointState(context: CheckpointStateContext): MethodCheckpointState {
  const layers = adaloraLayers(context.layers);
  const allocator = groups.get(context.config)?.allocator;
  const tensors: MethodCheckpointState['tensors'] = {};
  const moments = allocator?.momentsOnHost() ?? new Map<tf.Variable, HostMoments>();
  for (const layer of layers) {
    layer.variables().forEach((v, i) => {
      const m = moments.get(v);
      if (!m) return;
      tensors[`${IPT}${layer.module}#${i}`] = m.ipt;
      tensors[`${UNC}${layer.module}#${i}`] = m.unc;
    });
  }
  return {
    tensors,
    values: {
      totalStep: allocator ? allocator.schedule.totalStep : null,
      rankMasks: Object.fromEntries(layers.map((l) => [l.module, l.rankMask])),
    },
  };
}

/** Restore {@link checkpointState}'s state: masks, and the allocator with its moments. */
function restoreCheckpointState(context: CheckpointStateContext, state: MethodCheckpointState): void {
  const { config, source } = context;
  const layers = adaloraLayers(context.layers);
  const group = groups.get(config);
  if (!group) throw new Error(`${source}: AdaLoRA adapter has no layers`);
  const { totalStep: saved, rankMasks } = state.values;
  if (saved !== null && !(Number.isInteger(saved) && (saved as number) > 0))
    throw new Error(
      `${source}: AdaLoRA state field 'totalStep' = ${JSON.stringify(saved)}: expected a positive integer or null`,
    );
  if (!rankMasks || typeof rankMasks !== 'object' || Array.isArray(rankMasks))
    throw new Error(
      `${source}: AdaLoRA state field 'rankMasks' = ${JSON.stringify(rankMasks)}: expected an object of masks by module`,
    );
  const masks = rankMasks as Record<string, unknown>;
  const modules = new Set(layers.map((l) => l.module));
  const unknown = Object.keys(masks).filter((m) => !modules.has(m));
  if (unknown.length)
    throw new Error(
      `${source}: AdaLoRA state field 'rankMasks' names modules this adapter does not adapt: ${unknown.join(', ')}`,
    );
  const restored = layers.map((layer) => {
    const keep = masks[layer.module];
    const valid =
      keep === null ||
      (Array.isArray(keep) && keep.length === layer.r && keep.every((k) => typeof k === 'boolean'));
    if (!valid)
      throw new Error(
        `${source}: AdaLoRA state field 'rankMasks.${layer.module}' = ${JSON.stringify(keep)}: expected null or ${layer.r} booleans`,
      );
    return keep === null ? null : [...(keep as boolean[])];
  });
  const moments = new Map<tf.Variable, HostMoments>();
  const expected = new Set<string>();
  for (const layer of layers) {
    layer.variables().forEach((v, i) => {
      const key = `${layer.module}#${i}`;
      expected.add(IPT + key).add(UNC + key);
      const ipt = state.tensors[IPT + key];
      const unc = state.tensors[UNC + key];
      if (!ipt && !unc) return;
      if (!ipt || !unc)
        throw new Error(
          `${source}: AdaLoRA state has tensor '${ipt ? UNC : IPT}${key}' missing (its pair is there)`,
        );
      moments.set(v, { ipt, unc });
    });
  }
  const extra = Object.keys(state.tensors).filter((k) => !expected.has(k));
  if (extra.length)
    throw new Error(`${source}: AdaLoRA state has unexpected tensors: ${extra.slice(0, 3).join(', ')}`);
  if (saved === null && moments.size > 0)
    throw new Error(`${source}: AdaLoRA state has moments but field 'totalStep' = null`);
  let allocator: RankAllocator | undefined;
  if (saved !== null) {
    // the resumed run's schedule: its total_step or steps (the saved one when neither is known)
    const totalStep = config.total_step ?? context.totalSteps ?? (saved as number);
    allocator = new RankAllocator(layers, config, totalStep, source);
    allocator.setMoments(moments, source);
  }
  group.allocator?.reset();
  delete group.allocator;
  if (allocator) group.allocator = allocator;
  layers.forEach((layer, i) => {
    layer.rankMask = restored[i]!;
  });
}

/**
 * AdaLoRA (Zhang et al., ICLR 2023): per-linear SVD-form updates P·Λ·Q whose ranks an importance
 * score reallocates during training (cubic budget schedule from init_r to target_r per module on
 * average), with an orthogonality penalty on P and Q added to the loss. Files are PEFT's ADALORA
 * layout: `…q_proj.lora_A` [r, in], `…lora_E` [r, 1], `…lora_B` [out, r].
 */
export const adaloraMethod: AdapterMethod = {
  name: 'adalora',
  peftType: 'ADALORA',
  description: 'AdaLoRA: SVD-form updates with importance-driven rank allocation',
  extraConfigKeys: [
    'target_r',
    'init_r',
    'tinit',
    'tfinal',
    'deltaT',
    'beta1',
    'beta2',
    'orth_reg_weight',
    'total_step',
  ],
  shape: () => PLAIN_SHAPE,
  createLayer: ({ linear, adapterName, config, source }) => {
    if (config.target_r > config.init_r) {
      throw new Error(
        `${source}: field 'target_r' = ${config.target_r} must not exceed 'init_r' = ${config.init_r}`,
      );
    }
    let group = groups.get(config);
    if (!group) {
      group = { count: 0 };
      groups.set(config, group);
    }
    const keep = config.rank_masks?.[linear.name];
    if (keep && keep.length !== config.init_r) {
      throw new Error(
        `${source}: field 'rank_pattern' entry '${linear.name}.lora_E' has ${keep.length} entries, expected init_r = ${config.init_r}`,
      );
    }
    return new AdaLoraLayer({ linear, adapterName, config, group, ...(keep ? { keep } : {}) });
  },
  configJson: adaloraConfigJson,
  fromConfigJson,
  afterStep,
  checkpointState,
  restoreCheckpointState,
  defaults: { num_heads: 1 },
};
