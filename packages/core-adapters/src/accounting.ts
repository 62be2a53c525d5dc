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
  /** Sizes that are almost surely a mistake (see {@link sizeWarnings}); empty when none. */
  warnings: string[];
}

/**
 * Warnings for an adapter whose size defeats parameter-efficient fine-tuning: more trainable
 * parameters than the frozen base model (e.g. `--heads 1000`). Each names the numbers.
 */
export function sizeWarnings(report: Omit<ParameterReport, 'warnings'>): string[] {
  if (report.trainable <= report.base) return [];
  const modules = report.perModule.length;
  return [
    `adapter '${report.adapter}' has ${report.trainable.toLocaleString('en-US')} trainable parameters, ` +
      `${(report.trainable / report.base).toFixed(1)}× the base model's ${report.base.toLocaleString('en-US')} ` +
      `(${modules} adapted module(s)): check the number of heads and the rank`,
  ];
}
