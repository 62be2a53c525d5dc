// `pnpm bench`: wall time and peak RSS of the full pipeline (TF-IDF features + k-means for
// K = 1..10 + elbow) on 10k and 100k documents drawn from the real data (GSM8K, HumanEval, BBH,
// MMLU, CodeAlpaca) with perturbations. Each size runs in its own process so its peak RSS
// (process.resourceUsage().maxRSS) is its own. Needs `pnpm build` first.
// Usage: node bench/run.mjs [sizes, default 10000,100000] [--reduction svd]
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adjustedRandIndex, findComponents, normalizedMutualInfo } from '../dist/index.js';
import { resolveDataDir, syntheticCorpus } from '../dist/testing.js';

const here = fileURLToPath(import.meta.url);
const repoRoot = resolve(dirname(here), '..', '..', '..');
const args = process.argv.slice(2);
const reduction = args.includes('--reduction') ? args[args.indexOf('--reduction') + 1] : 'sparse';

if (args[0] === '--child') {
  const size = Number(args[1]);
  const dataDir = resolveDataDir(repoRoot);
  const { texts, labels } = syntheticCorpus(dataDir, size, 1);
  const rssBefore = process.resourceUsage().maxRSS;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let tFeatures = 0;
  const result = findComponents(texts, { kMax: 10, seed: 0, reduction }, (e) => {
    if (e.stage === 'features' && e.done === 1) tFeatures = performance.now() - t0;
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      size,
      reduction,
      wallSeconds: wall / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      featureSeconds: tFeatures / 1000,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      corpusRssMiB: rssBefore / 1024,
      vocabulary: result.features.vocabulary,
      k: result.k,
      nmiVsSources: normalizedMutualInfo(labels, result.labels),
      ariVsSources: adjustedRandIndex(labels, result.labels),
    }),
  );
} else {
  if (!resolveDataDir(repoRoot)) {
    console.log('bench skipped: no data folder (set HYDRALORA_DATA_DIR or add ../shared/data)');
    process.exit(0);
  }
  const sizes = (args[0] && !args[0].startsWith('--') ? args[0] : '10000,100000').split(',').map(Number);
  console.log(
    `intrinsic-clustering bench: features + K = 1..10 (3 restarts) + elbow, reduction=${reduction}`,
  );
  console.log('(cpu s is the process CPU time: wall s exceeds it when other work shares the cores)');
  console.log('docs      wall s   cpu s  features s  peak RSS MiB  vocab   K  NMI(src)  ARI(src)');
  for (const size of sizes) {
    const out = execFileSync(process.execPath, [here, '--child', String(size), '--reduction', reduction], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split('\n').at(-1));
    console.log(
      `${String(r.size).padEnd(8)} ${r.wallSeconds.toFixed(1).padStart(7)} ${r.cpuSeconds.toFixed(1).padStart(7)} ${r.featureSeconds.toFixed(1).padStart(11)}` +
        ` ${r.peakRssMiB.toFixed(0).padStart(13)} ${String(r.vocabulary).padStart(6)} ${String(r.k).padStart(3)}` +
        ` ${r.nmiVsSources.toFixed(3).padStart(9)} ${r.ariVsSources.toFixed(3).padStart(9)}`,
    );
  }
}
