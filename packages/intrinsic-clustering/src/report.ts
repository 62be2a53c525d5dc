import type { ClusterResult } from './find-components.js';

/** The JSON report (`hydralora cluster --json`): chosen K, curve, labels, sizes, top terms. */
export interface ClusterReport {
  k: number;
  k_max: number;
  /** SSE for K = 1..k_max. */
  sse: number[];
  elbow: { k: number; method: string; forced: boolean; difference: number[] };
  /** What chose `k` (`'silhouette'` or `'elbow'`; `k` forced: see `elbow.forced`). */
  criterion: 'elbow' | 'silhouette';
  /** The clustering that ran (`'kmeans'` or `'spectral'`; `'auto'` resolved). */
  algorithm: ClusterResult['algorithm'];
  /** Mean cosine silhouette for K = 1..k_max (`null` at K = 1). */
  silhouette: (number | null)[];
  labels: number[];
  sizes: number[];
  top_terms: string[][];
  documents: number;
  features: ClusterResult['features'];
  /** Degenerate clustering (empty clusters, too few distinct documents); empty when none. */
  warnings: string[];
}

/** Plain-data report of a result (snake_case keys, as the CLI's JSON). */
export function toReport(result: ClusterResult): ClusterReport {
  return {
    k: result.k,
    k_max: result.ks.at(-1) ?? 0,
    sse: result.sse,
    elbow: {
      k: result.elbow.k,
      method: result.elbow.method,
      forced: result.elbow.forced,
      difference: result.elbow.difference,
    },
    criterion: result.criterion,
    algorithm: result.algorithm,
    silhouette: result.silhouette,
    labels: result.labels,
    sizes: result.sizes,
    top_terms: result.topTerms,
    documents: result.labels.length,
    features: result.features,
    warnings: result.warnings,
  };
}

/**
 * An ASCII plot of the SSE curve: one row per K, a bar proportional to SSE above the curve's
 * minimum (so the bend is visible), the chosen K marked with `◀`.
 */
export function plotElbow(ks: readonly number[], sse: readonly number[], chosen: number, width = 40): string {
  const max = Math.max(...sse);
  const min = Math.min(...sse);
  const span = max - min || 1;
  const digits = String(Math.max(...ks)).length;
  return ks
    .map((k, i) => {
      const bar = '#'.repeat(1 + Math.round(((sse[i]! - min) / span) * (width - 1)));
      const mark = k === chosen ? ' ◀' : '';
      return `K=${String(k).padStart(digits)} ${sse[i]!.toFixed(2).padStart(12)} ${bar}${mark}`;
    })
    .join('\n');
}

/** The human-readable summary the CLI prints. */
export function formatSummary(result: ClusterResult): string {
  const how = result.elbow.forced
    ? 'forced with --k'
    : result.criterion === 'silhouette'
      ? `largest silhouette, ${result.silhouette[result.k - 1]?.toFixed(3)}; the SSE elbow would pick ${result.elbow.k}`
      : `elbow, ${result.elbow.method}`;
  const lines = [
    `${result.labels.length} documents, ${result.features.vocabulary} terms, ` +
      `${result.features.reduction === 'svd' ? `LSA ${result.features.dims} dims` : 'sparse TF-IDF'}`,
    '',
    'SSE by K (◀ the chosen K):',
    plotElbow(result.ks, result.sse, result.k),
    '',
    `chosen K = ${result.k} (${how})`,
    '',
  ];
  result.sizes.forEach((size, c) => {
    lines.push(`cluster ${c} (${size} docs): ${result.topTerms[c]!.join(', ')}`);
  });
  return lines.join('\n');
}
