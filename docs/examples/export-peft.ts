/**
 * Export a saved adapter as a plain PEFT LoRA for fixed head weights ω, from code, and compute
 * what PEFT would add to a layer's output for one input: s·B·A·x with s = lora_alpha/r.
 */
import { exportPeftLora, type PeftLora, type PeftLoraModule } from '@hydralora/core-adapters';

/**
 * Collapse the adapter in `adapterDir` for ω ("uniform", "head:<i>", "0.2,0.8" or an array) and
 * write `adapter_config.json` + `adapter_model.safetensors` (plain LoRA) into `outDir`.
 */
export async function exportForPeft(
  adapterDir: string,
  outDir: string,
  weights: string | number[],
): Promise<PeftLora> {
  const lora = await exportPeftLora(adapterDir, outDir, { weights });
  const { r, lora_alpha } = lora.config as { r: number; lora_alpha: number };
  console.log(`r = ${r}, lora_alpha = ${lora_alpha}, ${lora.modules.length} modules`);
  // Set when the adapter's router picks ω per token or sample: the export is exact only for this ω.
  if (lora.note) console.warn(`warning: ${lora.note}`);
  return lora;
}

/** PEFT's update of one module for an input x (length in): s·B·(A·x), with A [r, in], B [out, r]. */
export function peftUpdate(module: PeftLoraModule, x: number[]): number[] {
  const [r, inFeatures] = module.a.shape as [number, number];
  const outFeatures = module.b.shape[0] as number;
  const ax = Array.from({ length: r }, (_, j) =>
    x.reduce((sum, v, k) => sum + (module.a.data[j * inFeatures + k] as number) * v, 0),
  );
  return Array.from(
    { length: outFeatures },
    (_, o) => module.scaling * ax.reduce((sum, v, j) => sum + (module.b.data[o * r + j] as number) * v, 0),
  );
}
