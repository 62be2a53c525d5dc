/**
 * Exact-match evaluation of a (possibly adapted) model on held-out instruction examples: greedy
 * generation of a short answer for each prompt (formatted exactly as in training), cut at the
 * first newline, scored per component. Routing telemetry is collected on the way when asked.
 */

import { formatInstructionPrompt } from '@hydralora/common';
import type { AdapterModel } from '@hydralora/core-adapters';
import { generate, type Pretrained } from '@hydralora/models';
import { textTokenizer } from '@hydralora/trainer';
import { type ExactMatchReport, type InstructionExample, scoreExactMatch } from './embedded/index.js';

export interface EvaluateOptions {
  batchSize?: number;
  maxNewTokens?: number;
  /** Per-example component id handed to the adapters (Split routing, telemetry); -1 = none. */
  componentIds?: Int32Array;
  onBatch?: (done: number, total: number) => void;
}

export interface EvaluateResult {
  predictions: string[];
  report: ExactMatchReport;
  seconds: number;
}

export async function evaluateExamples(
  pretrained: Pretrained,
  examples: readonly InstructionExample[],
  options: EvaluateOptions = {},
): Promise<EvaluateResult> {
  const t0 = performance.now();
  const tok = textTokenizer(pretrained);
  const batchSize = options.batchSize ?? 32;
  const predictions: string[] = [];
  for (let i = 0; i < examples.length; i += batchSize) {
    const batch = examples.slice(i, i + batchSize);
    const prompts = batch.map((e) => [
      ...(tok.bosId !== undefined ? [tok.bosId] : []),
      ...tok.encode(formatInstructionPrompt(e)),
    ]);
    const ids = options.componentIds?.slice(i, i + batch.length);
    const result = await generate(pretrained.model, prompts, {
      maxNewTokens: options.maxNewTokens ?? 8,
      greedy: true,
      eosTokenId: tok.eosId,
      padTokenId: tok.padId,
      stopStrings: ['\n'],
      decode: (t) => tok.decode([...t]),
      ...(ids?.some((c) => c >= 0) ? { componentIds: Array.from(ids) } : {}),
    });
    for (const t of result.tokens) predictions.push(tok.decode(t).split('\n')[0]!.trim());
    options.onBatch?.(Math.min(i + batchSize, examples.length), examples.length);
  }
  return {
    predictions,
    report: scoreExactMatch(predictions, examples),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Router usage per known component, averaged over the adapted layers: rows = components, cols = heads. */
export function routerUsage(adapter: AdapterModel, components: readonly string[]): RouterUsage | undefined {
  const byLayer = adapter.telemetry();
  const snapshots = Object.values(byLayer);
  if (snapshots.length === 0) return undefined;
  const heads = snapshots[0]!.meanWeight.length;
  const values = components.map((_, c) => {
    const acc = new Array<number>(heads).fill(0);
    let n = 0;
    for (const s of snapshots) {
      const u = s.usageByComponent[c];
      if (!u) continue;
      u.forEach((w, h) => {
        acc[h]! += w;
      });
      n++;
    }
    return acc.map((v) => (n ? v / n : Number.NaN));
  });
  const entropy = snapshots.reduce((s, x) => s + x.entropy, 0) / snapshots.length;
  const layers = Object.entries(byLayer).map(([module, s]) => ({
    module,
    mutualInformation: s.mutualInformation,
    entropy: s.entropy,
  }));
  return { rows: [...components], values, entropy, layers };
}

/** Mean over adapted layers of I(head; component) (nats). */
export function meanMutualInformation(usage: Pick<RouterUsage, 'layers'>): number {
  return usage.layers.reduce((s, l) => s + l.mutualInformation, 0) / Math.max(1, usage.layers.length);
}

/** Router usage per known component (mean over layers) and, per adapted layer, I(head; component). */
export interface RouterUsage {
  rows: string[];
  /** [component][head] mean ω, averaged over the adapted layers. */
  values: number[][];
  /** Mean routing entropy over layers (nats). */
  entropy: number;
  /** Per adapted layer: mutual information between routed head and component, and routing entropy (nats). */
  layers: { module: string; mutualInformation: number; entropy: number }[];
}
