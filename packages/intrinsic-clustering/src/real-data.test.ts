import { resolve } from 'node:path';
import { createRng } from '@hydralora/common';
import { describe, expect, it } from 'vitest';
import { findComponents } from './find-components.js';
import { adjustedRandIndex, normalizedMutualInfo } from './metrics.js';
import { labelledCorpus, resolveDataDir } from './testing/labelled-corpus.js';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const dataDir = resolveDataDir(repoRoot);
if (!dataDir)
  console.warn('real-data test skipped: no data folder (set HYDRALORA_DATA_DIR or add ../shared/data)');

describe.skipIf(!dataDir)('recovers the components of a real mixed corpus', () => {
  let cached: ReturnType<typeof labelledCorpus> | undefined;
  const build = () => {
    cached ??= labelledCorpus(dataDir!, 150, 0);
    return cached;
  };
  it('GSM8K + HumanEval + 3 BBH tasks + MMLU + CodeAlpaca (150 per source)', () => {
    const corpus = build();
    expect(corpus.components).toHaveLength(7);
    const result = findComponents(corpus.texts, {
      kMax: 10,
      seed: 0,
      tfidf: { minDf: 2, sublinearTf: true },
    });
    const nmi = normalizedMutualInfo(corpus.labels, result.labels);
    const ari = adjustedRandIndex(corpus.labels, result.labels);
    const nmiSources = normalizedMutualInfo(corpus.sources, result.labels);
    console.log(
      `real corpus: ${corpus.texts.length} docs, elbow K=${result.k} (${result.elbow.method}), ` +
        `NMI=${nmi.toFixed(3)} ARI=${ari.toFixed(3)} (vs 5 sources: NMI=${nmiSources.toFixed(3)})`,
    );
    // The threshold: 0.6 is far above chance (the same labels shuffled: NMI 0.007) and below a
    // partition that is perfect but for merging the two code sources (0.918). Measured: 0.725.
    expect(nmi).toBeGreaterThan(0.6);
    expect(ari).toBeGreaterThan(0.4);
    expect(result.k).toBeGreaterThanOrEqual(4);
    expect(result.k).toBeLessThanOrEqual(8);
    // References for the threshold, computed on the same labels.
    const random = createRng(1);
    const shuffled = [...result.labels];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const codeMerged = corpus.labels.map((l) =>
      corpus.components[l] === 'humaneval' ? corpus.components.indexOf('codealpaca') : l,
    );
    console.log(
      `references: shuffled NMI=${normalizedMutualInfo(corpus.labels, shuffled).toFixed(3)}, ` +
        `perfect but code merged NMI=${normalizedMutualInfo(corpus.labels, codeMerged).toFixed(3)}`,
    );
    expect(normalizedMutualInfo(corpus.labels, shuffled)).toBeLessThan(0.05);
  });

  it('the LSA path (truncated SVD, 100 dims) on the same corpus', () => {
    const corpus = build();
    const result = findComponents(corpus.texts, {
      kMax: 10,
      seed: 0,
      reduction: 'svd',
      tfidf: { minDf: 2, sublinearTf: true },
    });
    const nmi = normalizedMutualInfo(corpus.labels, result.labels);
    const ari = adjustedRandIndex(corpus.labels, result.labels);
    console.log(`real corpus, svd: elbow K=${result.k}, NMI=${nmi.toFixed(3)} ARI=${ari.toFixed(3)}`);
    // Measured 0.889 (seed 0), 0.805 and 0.802 (seeds 1, 2): LSA separates the two code sources.
    expect(nmi).toBeGreaterThan(0.75);
    expect(result.k).toBeGreaterThanOrEqual(5);
    expect(result.k).toBeLessThanOrEqual(8);
  });
});
