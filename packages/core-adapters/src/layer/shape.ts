/** The structure every adapter method reduces to. */

/**
 * y = W₀x + s·Σᵢ ωᵢ·B_{b(i)}·A_{a(i)}·dropout(x) for i < numHeads, where a(i) = i if numA > 1
 * else 0, and b(i) likewise. LoRA: (1, 1, N = 1); HydraLoRA: (1, N); LoRA-MoE and LoRA-Split:
 * (N, N); inverted asymmetry: (N, 1).
 */
export interface LayerShape {
  /** Number of A matrices (1 or numHeads). */
  numA: number;
  /** Number of B matrices (1 or numHeads). */
  numB: number;
  /** N, the number of terms in the sum (1 for LoRA). */
  numHeads: number;
  /** Where ω comes from: fixed 1 (LoRA), a router, or the sample's component (hard routing). */
  weighting: 'none' | 'router' | 'component';
  /** B initialisation: zeros (official) or centred random heads (see diverseHeads). */
  headInit: 'zeros' | 'diverse';
}
