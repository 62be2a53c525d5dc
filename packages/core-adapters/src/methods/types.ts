import type { AdapterConfig } from '../config.js';
import type { LayerShape } from '../layer/shape.js';
import type { VirtualTokenMethod } from '../prompt/module.js';

/**
 * An adapter method: a name, the `peft_type` its files carry, and the one hook that says how a
 * layer of it is built. Save, load, merge and counting are generic over {@link LayerShape}.
 */
export interface AdapterMethod {
  /** Registry key and the config's `method` value. */
  readonly name: string;
  /** `peft_type` in adapter_config.json (LORA for plain LoRA, so that PEFT loads it). */
  readonly peftType: string;
  readonly description: string;
  /** Config keys written to adapter_config.json on top of PEFT's LoRA keys. */
  readonly extraConfigKeys: readonly (keyof AdapterConfig)[];
  /**
   * The layer structure for a validated config. Prompt-learning methods adapt no linear: theirs is
   * {@link NO_LAYER_SHAPE}.
   */
  shape(config: AdapterConfig): LayerShape;
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
