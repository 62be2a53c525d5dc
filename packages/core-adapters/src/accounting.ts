/** Parameter accounting: trainable parameters per module and as % of the base (Table 2's %Param). */

/** Trainable parameters of one adapter. */
export interface ParameterReport {
  adapter: string;
  /** Trainable parameters per adapted module, in model order. */
  perModule: { module: string; parameters: number }[];
  /** Sum over modules. */
  trainable: number;
  /** Parameters of the frozen base model. */
  base: number;
  /** 100 · trainable / base. */
  percent: number;
}
