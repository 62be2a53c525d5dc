/**
 * Combining per-shard gradients. Each shard reports the mean gradient over its own tokens; the
 * mean over the whole batch is the token-weighted average Σ tᵢ·gᵢ / Σ tᵢ, which is what one
 * process would compute on the whole batch.
 */
import type { GradientResult, ParamSet } from './protocol.js';

/** Token-weighted mean of shard results, validated against the parameters that were sent. */
export function combineGradients(results: GradientResult[], params: ParamSet): GradientResult {
  if (results.length === 0) throw new Error('combineGradients: no shard results to combine');
  const names = Object.keys(params);
  let tokens = 0;
  for (const [i, r] of results.entries()) {
    if (!Number.isFinite(r.tokens) || r.tokens <= 0) {
      throw new Error(`shard ${i}: field 'tokens' must be a positive number, got ${r.tokens}`);
    }
    for (const name of names) {
      const g = r.grads[name];
      if (!(g instanceof Float32Array))
        throw new Error(`shard ${i}: grads['${name}'] is missing or not a Float32Array`);
      if (g.length !== params[name]!.length) {
        throw new Error(
          `shard ${i}: grads['${name}'] has ${g.length} values, the parameter has ${params[name]!.length}`,
        );
      }
    }
    for (const name of Object.keys(r.grads)) {
      if (!(name in params)) throw new Error(`shard ${i}: grads['${name}'] names no parameter that was sent`);
    }
    tokens += r.tokens;
  }
  const grads: ParamSet = {};
  for (const name of names) {
    const sum = new Float64Array(params[name]!.length);
    for (const r of results) {
      const g = r.grads[name]!;
      const w = r.tokens / tokens;
      for (let j = 0; j < g.length; j++) sum[j]! += w * g[j]!;
    }
    grads[name] = Float32Array.from(sum);
  }
  const loss = results.reduce((s, r) => s + (r.tokens / tokens) * r.loss, 0);
  return { grads, loss, tokens };
}
