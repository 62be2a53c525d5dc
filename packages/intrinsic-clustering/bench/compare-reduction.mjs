// The measurement behind the default feature space: sparse TF-IDF rows vs LSA (randomised
// truncated SVD to 100 dims, rows re-normalised), on the labelled real-data corpus of the proof
// test (150 per source, BBH split into its 3 tasks: 7 components). Prints wall and CPU time,
// the elbow's K, and NMI/ARI against the components, for seeds 0..2.
// Usage (after `pnpm build`): node bench/compare-reduction.mjs [perSource]
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adjustedRandIndex, findComponents, normalizedMutualInfo } from '../dist/index.js';
import { labelledCorpus, resolveDataDir } from '../dist/testing.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataDir = resolveDataDir(repoRoot);
if (!dataDir) {
  console.log('skipped: no data folder (set HYDRALORA_DATA_DIR)');
  process.exit(0);
}
const perSource = Number(process.argv[2] ?? 150);
const corpus = labelledCorpus(dataDir, perSource, 0);
console.log(`${corpus.texts.length} documents, components: ${corpus.components.join(', ')}`);
console.log('reduction  tfidf                       seed  wall s  cpu s   K  NMI    ARI');
for (const reduction of ['sparse', 'svd']) {
  // sklearn's TF-IDF defaults spelled out (the clustering's own defaults are minDf 2, sublinear tf)
  for (const tfidf of [
    { minDf: 1, sublinearTf: false },
    { minDf: 2, sublinearTf: true },
  ]) {
    for (const seed of [0, 1, 2]) {
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      const r = findComponents(corpus.texts, { reduction, kMax: 10, seed, tfidf, criterion: 'elbow' });
      const wall = (performance.now() - t0) / 1000;
      const user = process.cpuUsage(cpu).user / 1e6;
      console.log(
        `${reduction.padEnd(10)} ${JSON.stringify(tfidf).padEnd(28)} ${String(seed).padEnd(5)}` +
          `${wall.toFixed(2).padStart(6)} ${user.toFixed(2).padStart(6)} ${String(r.k).padStart(3)}` +
          `  ${normalizedMutualInfo(corpus.labels, r.labels).toFixed(3)}  ${adjustedRandIndex(corpus.labels, r.labels).toFixed(3)}`,
      );
    }
  }
}
