import type * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig, AdapterConfigInput } from '../config.js';
import type { HostTensor } from '../io/safetensors.js';
import type { ModuleLayer, WholeModelModule } from '../layer/module-layer.js';
import type { LayerShape } from '../layer/shape.js';
import type { AdaptableModel, Linear } from '../model-types.js';
import type { VirtualTokenMethod } from '../prompt/module.js';
import type { TargetedModule } from '../targeting.js';

/** What {@link AdapterMethod.createLayer} receives for one targeted linear. */
export interface LayerFactoryOptions {
  linear: Linear;
  adapterName: string;
  config: AdapterConfig;
  /** The module's resolved target (its name, r and α). */
  target: TargetedModule;
  /** Where the config came from, for error messages. */
  source: string;
}

/** Methods that adapt the model as a whole (full fine-tuning) instead of per linear. */
export interface WholeModelMethod {
  create(model: AdaptableModel, config: AdapterConfig, source: string): WholeModelModule;
}

/** What {@link AdapterMethod.afterStep} receives after one optimiser step. */
export interface AfterStepContext {
  adapterName: string;
  config: AdapterConfig;
  /** The adapter's layers by module name. */
  layers: Map<string, ModuleLayer>;
  /** The step's accumulated gradients by named-variable name (`<module>#<i>`), not clipped. */
  grads: Map<string, tf.Tensor>;
  /** 0-based index of the optimiser step just applied (PEFT's `global_step`). */
  step: number;
  /** Total optimiser steps of the run, when the caller knows them. */
  totalSteps?: number;
  source: string;
}

/**
 * Training state a method keeps outside its trainable variables (AdaLoRA's importance moments and
 * rank masks), in the form a training checkpoint stores it: float tensors by name (the
 * checkpoint's safetensors file) and JSON values (its state.json). A checkpoint written with it
 * and restored from it continues the run exactly.
 */
export interface MethodCheckpointState {
  tensors: Record<string, HostTensor>;
  values: Record<string, unknown>;
}

/** What {@link AdapterMethod.checkpointState} and `restoreCheckpointState` receive. */
export interface CheckpointStateContext {
  adapterName: string;
  config: AdapterConfig;
  /** The adapter's layers by module name. */
  layers: Map<string, ModuleLayer>;
  /** Total optimiser steps of the run being resumed, when the caller knows them. */
  totalSteps?: number;
  /** Where the state came from (the checkpoint), for error messages. */
  source: string;
}

/** File names of a method's saved adapter (default: PEFT's). */
export interface AdapterFiles {
  /** The weights file (default `adapter_model.safetensors`). */
  weights: string;
  /** Prefix of every tensor name (default PEFT's `base_model.model.`). */
  prefix: string;
}

/**
 * An adapter method: a name, the `peft_type` its files carry, and the one hook that says how a
 * layer of it is built. Save, load, merge and counting are generic over {@link ModuleLayer}.
 *
 * The LoRA family (B·A updates) only gives {@link AdapterMethod.shape}; a method whose per-linear
 * update is of another kind gives {@link AdapterMethod.createLayer} ((IA)³), and a method that
 * trains the model itself gives {@link AdapterMethod.wholeModel} (full fine-tuning).
 */
export interface AdapterMethod {
  /** Registry key and the config's `method` value. */
  readonly name: string;
  /** `peft_type` in adapter_config.json (LORA for plain LoRA, so that PEFT loads it). */
  readonly peftType: string;
  readonly description: string;
  /** Config keys written to adapter_config.json on top of PEFT's LoRA keys. */
  readonly extraConfigKeys: readonly (keyof AdapterConfig)[];
  /** The B·A layer structure for a validated config (methods of another kind: one plain term). */
  shape(config: AdapterConfig): LayerShape;
  /** The layer of one targeted linear, for methods that are not B·A updates (default: `AdapterLayer`). */
  createLayer?(options: LayerFactoryOptions): ModuleLayer;
  /** Whole-model methods: the module that trains the model's own weights (no per-linear layers). */
  readonly wholeModel?: WholeModelMethod;
  /**
   * Called once per optimiser step, after the parameters were updated and before the gradients
   * are freed (AdaLoRA's importance update and rank masking). Trainers call it through
   * `AdapterModel.afterStep`, whatever the method.
   */
  afterStep?(context: AfterStepContext): void;
  /**
   * The method's training state outside the variables, for a training checkpoint (the trainer
   * saves it with the parameters and optimiser moments, in the same atomic write). A method
   * that has none leaves this out.
   */
  checkpointState?(context: CheckpointStateContext): MethodCheckpointState;
  /** Restore what {@link AdapterMethod.checkpointState} returned (after the variables were restored). */
  restoreCheckpointState?(context: CheckpointStateContext, state: MethodCheckpointState): void;
  /**
   * Map a read adapter_config.json onto our keys before validation, where the method's PEFT
   * keys differ in kind from ours (AdaLoRA's boolean `rank_pattern`). Default: as read.
   */
  fromConfigJson?(raw: Record<string, unknown>, source: string): Record<string, unknown>;
  /** The adapter_config.json object (default: PEFT's LoraConfig keys and our extras). */
  configJson?(config: AdapterConfig): Record<string, unknown>;
  /** File names (default: PEFT's `adapter_model.safetensors`, tensors under `base_model.model.`). */
  readonly files?: AdapterFiles;
  /** Config defaults a trainer applies before the user's values (e.g. the method's target modules). */
  readonly defaults?: Partial<AdapterConfigInput>;
  /**
   * Prompt-learning methods (prompt tuning, P-tuning, prefix tuning): the module of virtual
   * tokens the model receives through its `setVirtualTokens` hook, instead of per-linear layers.
   */
  readonly virtualTokens?: VirtualTokenMethod;
}

/** The shape of a method that adapts no linear layer (one term, nothing routed). */
export const NO_LAYER_SHAPE: LayerShape = {
  numA: 0,
  numB: 0,
  numHeads: 1,
  weighting: 'none',
  headInit: 'zeros',
};

/** Keys every router-based method writes. */
export const ROUTER_KEYS = ['num_heads', 'router', 'router_top_k', 'router_input', 'router_aux'] as const;

/** The shape of a method that has no B·A pairs (one plain term, nothing routed). */
export const PLAIN_SHAPE: LayerShape = {
  numA: 1,
  numB: 1,
  numHeads: 1,
  weighting: 'none',
  headInit: 'zeros',
};
