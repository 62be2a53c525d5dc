// N selection: every feature pipeline × criterion on two labelled mixes of real benchmark prompts,
// NMI / ARI against the known components and the chosen K, and whether the package's DEFAULT
// config reaches NMI 0.78 on the held-out runs.
//
// Mixes (read from the data folder at run time, never copied): A = the proof corpus of
// src/real-data.test.ts (150 each of GSM8K, HumanEval, MMLU, CodeAlpaca + 3 BBH tasks × 50:
// 7 components); B = SUBJECT_MIX (4 MMLU subjects + 4 BBH tasks, 100 each: 8 components, none
// shared with A). The default was chosen on A with seed 0 only; A seeds 1, 2 and B seeds 0, 1, 2
// are held out (the seed draws both the sample and the clustering).
// Hidden states: mean-pooled last-layer states of apps/trainer/assets/tiny-base (the demo's base
// model) through @hydralora/trainer's embedTexts, when that package is built (else skipped).
// Usage (after `pnpm build`): node bench/n-selection.mjs   (`pnpm bench` runs it too)
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  adjustedRandIndex,
  findComponents,
  findComponentsInEmbeddings,
  normalizedMutualInfo,
  parseClusterConfig,
} from '../dist/index.js';
import { labelledCorpus, labelledMix, resolveDataDir, SUBJECT_MIX } from '../dist/testing.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const dataDir = resolveDataDir(repoRoot);
if (!dataDir) {
  console.log('skipped: no data folder (set HYDRALORA_DATA_DIR)');
  process.exit(0);
}

const runs = [
  { mix: 'A', seed: 0, heldOut: false },
  { mix: 'A', seed: 1, heldOut: true },
  { mix: 'A', seed: 2, heldOut: true },
  { mix: 'B', seed: 0, heldOut: true },
  { mix: 'B', seed: 1, heldOut: true },
  { mix: 'B', seed: 2, heldOut: true },
].map((run) => ({
  ...run,
  corpus:
    run.mix === 'A'
      ? labelledCorpus(dataDir, 150, run.seed)
      : labelledMix(dataDir, SUBJECT_MIX, 100, run.seed),
}));

// Every TF-IDF setting is spelled out: the package's defaults (minDf 2, sublinear tf) are one row.
const sklearn = { minDf: 1, sublinearTf: false };
const stop = { stopWords: 'english', minDf: 2, sublinearTf: true };
const pipelines = [
  { name: 'sparse, sklearn tf-idf', config: { reduction: 'sparse', tfidf: sklearn } },
  {
    name: 'sparse, minDf 2 + sublinear',
    config: { reduction: 'sparse', tfidf: { minDf: 2, sublinearTf: true } },
  },
  { name: 'sparse, stop + minDf 2 + sublinear', config: { reduction: 'sparse', tfidf: stop } },
  { name: 'LSA 100, sklearn tf-idf', config: { reduction: 'svd', tfidf: sklearn } },
  {
    name: 'LSA 100, minDf 2 + sublinear',
    config: { reduction: 'svd', tfidf: { minDf: 2, sublinearTf: true } },
  },
  { name: 'LSA 100, stop + minDf 2 + sublinear', config: { reduction: 'svd', tfidf: stop } },
];

// Hidden states of the tiny base, through the trainer package (optional).
const trainerDist = resolve(repoRoot, 'packages', 'trainer', 'dist', 'index.js');
const baseDir = resolve(repoRoot, 'apps', 'trainer', 'assets', 'tiny-base');
let embed;
if (existsSync(trainerDist) && existsSync(baseDir)) {
  const { embedTexts } = await import(pathToFileURL(trainerDist).href);
  const { loadPretrained } = await import(
    pathToFileURL(resolve(repoRoot, 'packages', 'models', 'dist', 'index.js')).href
  );
  const { initBackend } = await import(
    pathToFileURL(resolve(repoRoot, 'packages', 'gpu-backend', 'dist', 'index.js')).href
  );
  await initBackend({ backend: 'wasm' });
  const base = await loadPretrained(baseDir);
  embed = (texts) => embedTexts(base, texts, { batchSize: 32, maxLength: 64 });
} else console.log('hidden-state rows skipped: build packages/trainer first (pnpm build)');

const table = [];
const measure = (name, criterion, run, fn) => {
  const cpu = process.cpuUsage();
  const result = fn();
  const seconds = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1e6;
  const row = {
    pipeline: name,
    criterion,
    mix: run.mix,
    seed: run.seed,
    heldOut: run.heldOut,
    k: result.k,
    nmi: normalizedMutualInfo(run.corpus.labels, result.labels),
    ari: adjustedRandIndex(run.corpus.labels, result.labels),
    cpu: seconds,
  };
  table.push(row);
  console.log(
    `${name.padEnd(36)} ${criterion.padEnd(10)} ${run.mix}/${run.seed}${run.heldOut ? ' ' : '*'} ` +
      `${String(row.k).padStart(3)}  ${row.nmi.toFixed(3)}  ${row.ari.toFixed(3)}  ${seconds.toFixed(2).padStart(6)}`,
  );
  return row;
};

console.log(
  `mix A: ${runs[0].corpus.texts.length} docs, ${runs[0].corpus.components.length} components; ` +
    `mix B: ${runs[3].corpus.texts.length} docs, ${runs[3].corpus.components.length} components (${SUBJECT_MIX.join(', ')})`,
);
console.log(
  '(* = the run the default was chosen on; the others are held out; cpu s = process CPU of the clustering)',
);
console.log(`${'pipeline'.padEnd(36)} ${'criterion'.padEnd(10)} run    K  NMI    ARI    cpu s`);
for (const { name, config } of pipelines) {
  for (const criterion of ['elbow', 'silhouette']) {
    for (const run of runs)
      measure(name, criterion, run, () =>
        findComponents(run.corpus.texts, { ...config, criterion, seed: run.seed }),
      );
  }
}
if (embed) {
  for (const run of runs) {
    const cpu = process.cpuUsage();
    run.vectors = embed(run.corpus.texts);
    run.embedSeconds = process.cpuUsage(cpu).user / 1e6;
  }
  console.log(
    `hidden states: embedding cost (cpu s per run) ${runs.map((r) => r.embedSeconds.toFixed(1)).join(', ')}`,
  );
  for (const criterion of ['elbow', 'silhouette']) {
    for (const run of runs) {
      measure('hidden states (tiny-base, mean)', criterion, run, () =>
        findComponentsInEmbeddings(run.vectors, { criterion, seed: run.seed }),
      );
    }
  }
}

// Summary per pipeline × criterion: mean NMI on the selection run and on each held-out mix.
console.log('\nsummary: mean over runs (A held out = seeds 1, 2; B = seeds 0, 1, 2)');
console.log(
  `${'pipeline'.padEnd(36)} ${'criterion'.padEnd(10)} A/0 NMI  A held-out NMI (K)  B NMI (K)        mean cpu s`,
);
const groups = new Map();
for (const row of table) {
  const key = `${row.pipeline}\u0000${row.criterion}`;
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(row);
}
const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
for (const rows of groups.values()) {
  const sel = rows.find((r) => !r.heldOut);
  const a = rows.filter((r) => r.mix === 'A' && r.heldOut);
  const b = rows.filter((r) => r.mix === 'B');
  console.log(
    `${rows[0].pipeline.padEnd(36)} ${rows[0].criterion.padEnd(10)} ${sel.nmi.toFixed(3)}    ` +
      `${mean(a.map((r) => r.nmi)).toFixed(3)} (${a.map((r) => r.k).join('/')})`.padEnd(22) +
      `${mean(b.map((r) => r.nmi)).toFixed(3)} (${b.map((r) => r.k).join('/')})`.padEnd(17) +
      `${mean(rows.map((r) => r.cpu)).toFixed(2)}`,
  );
}

// The default, as a user gets it: findComponents(texts) with no config but the seed.
const defaults = parseClusterConfig({});
console.log(
  `\ndefault config: reduction ${defaults.reduction}, tfidf ${JSON.stringify(defaults.tfidf)}, criterion ${defaults.criterion}`,
);
let reaches = true;
for (const mix of ['A', 'B']) {
  const held = runs.filter((r) => r.heldOut && r.mix === mix);
  const rows = held.map((run) =>
    measure('DEFAULT', defaults.criterion, run, () => findComponents(run.corpus.texts, { seed: run.seed })),
  );
  const m = mean(rows.map((r) => r.nmi));
  reaches &&= m >= 0.78;
  console.log(
    `default on held-out mix ${mix}: mean NMI ${m.toFixed(3)} (min ${Math.min(...rows.map((r) => r.nmi)).toFixed(3)})`,
  );
}
console.log(
  `the default ${reaches ? 'REACHES' : 'DOES NOT reach'} NMI >= 0.78 on every held-out mix (mean over its runs)`,
);
