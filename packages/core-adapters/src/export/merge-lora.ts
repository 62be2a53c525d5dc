/**
 * Merge a plain PEFT LoRA into a model's base weights: W ← W + s·(B·A)ᵀ for every module, where
 * the file's A is [r, in] and B [out, r] (PyTorch layout) and the model's W is [in, out] (kernel
 * layout), so the [in, out] update is s·Aᵀ·Bᵀ. s = lora_alpha/r (or /√r) as PEFT scales it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdaptableModel } from '../model-types.js';
import type { PeftLora } from './collapse.js';

/**
 * Add every module's update into the matching linear of `model` (in place). Every module is
 * checked — present, [in, out] weight, matching widths — before any weight changes. Returns the
 * merged module names.
 */
export function mergePeftLora(model: AdaptableModel, lora: Pick<PeftLora, 'modules'>): string[] {
  const linears = model.namedLinears();
  const problems: string[] = [];
  for (const m of lora.modules) {
    const linear = linears.get(m.name);
    if (!linear) {
      problems.push(`module '${m.name}' is not a linear layer of the model`);
      continue;
    }
    const [r, inF] = m.a.shape as [number, number];
    const [outF, rB] = m.b.shape as [number, number];
    if (rB !== r) problems.push(`${m.name}: lora_A is [${m.a.shape}] but lora_B is [${m.b.shape}]`);
    if (inF !== linear.inFeatures || outF !== linear.outFeatures)
      problems.push(
        `${m.name}: the LoRA maps ${inF} → ${outF} but the layer maps ${linear.inFeatures} → ${linear.outFeatures}`,
      );
    if (linear.weight.shape.join(',') !== `${linear.inFeatures},${linear.outFeatures}`)
      problems.push(`${m.name}: the weight is [${linear.weight.shape}], not [in, out] (a tied output head?)`);
  }
  if (problems.length > 0) throw new Error(`merge: ${problems.join('; ')}`);
  for (const m of lora.modules) {
    const w = (linears.get(m.name) as { weight: tf.Variable }).weight;
    tf.tidy(() => {
      const a = tf.tensor2d(m.a.data, m.a.shape as [number, number]);
      const b = tf.tensor2d(m.b.data, m.b.shape as [number, number]);
      w.assign(tf.add(w, tf.mul(tf.matMul(a, b, true, true), m.scaling)));
    });
  }
  return lora.modules.map((m) => m.name);
}
