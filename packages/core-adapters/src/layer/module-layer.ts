/**
 * The contract of one adapted linear for one adapter, whatever the method: what generic code
 * (save, load, merge, count, train) needs. The LoRA family implements it with `AdapterLayer`
 * (B·A updates), (IA)³ with `Ia3Layer` (scaling vectors).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Linear, LinearAdapter } from '../model-types.js';

/** A tensor as stored in the file: `key` relative to the module (or the model, for whole-model methods). */
export interface AdapterTensor {
  /** e.g. `lora_A.weight`, `lora_B.2.weight`, `lora_route.weight`, `ia3_l`. */
  key: string;
  /** The variable; by default the file holds its transpose (internal [in, out] → PyTorch [out, in]). */
  variable: tf.Variable;
  /** When the file tensor is one head of a concatenated variable: the axis and range it covers. */
  slice?: { axis: 0 | 1; start: number; size: number };
  /** false: the file holds the variable as it is (default true: its transpose). */
  transpose?: boolean;
}

/** One adapter's state on one linear layer. */
export interface ModuleLayer extends LinearAdapter {
  /** The module name (`model.layers.0.self_attn.k_proj`). */
  readonly module: string;
  /** The file tensors of this layer (keys relative to `base_model.model.<module>.`). */
  tensors(): AdapterTensor[];
  /** Every trainable variable, each once, in a stable order. */
  variables(): tf.Variable[];
  /** Number of trainable parameters. */
  parameterCount(): number;
  /**
   * Fold the update into the linear's base weight (and bias, where the method scales it) in
   * place; `weights` are the mixing weights ω of routed methods ([1] otherwise). Throws, changing
   * nothing, when the merge could not be undone exactly.
   */
  merge(linear: Linear, weights: number[]): void;
  /** Undo {@link merge} with the same weights. */
  unmerge(linear: Linear, weights: number[]): void;
  dispose(): void;
}

/**
 * The state of a method that adapts the model as a whole rather than per linear (full
 * fine-tuning): its tensors are keyed by the model's own parameter names.
 */
export interface WholeModelModule {
  /** File tensors keyed by the model's parameter names (`model.layers.0.mlp.up_proj.weight`). */
  tensors(): AdapterTensor[];
  /** Trainable variables by stable name. */
  namedVariables(): Map<string, tf.Variable>;
  parameterCount(): number;
  /** Detach from the model (the trained weights stay in it). */
  dispose(): void;
}
