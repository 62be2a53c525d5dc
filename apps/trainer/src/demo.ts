/**
 * `hydralora demo`, the README's main job on the embedded default: build the heterogeneous
 * instruction corpus, cluster it and choose N (elbow + top terms), fine-tune HydraLoRA and a LoRA
 * with the same number of trainable parameters, evaluate every component on its held-out split
 * (exact match) next to the base model, print the table and write the report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { activeBackend, type EnergyReport, setBlasThreadBudget } from '@hydralora/gpu-backend';
import {
  adjustedRandIndex,
  findComponents,
  formatSummary,
  normalizedMutualInfo,
} from '@hydralora/intrinsic-clustering';
import { loadPretrained } from '@hydralora/models';
import {
  clusteringText,
  type FinetuneResult,
  finetune,
  parseTrainConfig,
  readInstructionFile,
  type StepLog,
} from '@hydralora/trainer';
import { buildInstructionCorpus, writeCorpus } from './embedded/index.js';
import { evaluateExamples, meanMutualInformation, routerUsage } from './evaluate.js';
import { type FinetuneTask, type FinetuneTaskResult, runFinetuneTask } from './finetune-task.js';
import { markdownTable, markdownTableToHtml, renderReport, writeReport } from './report/html.js';
import { barChart, heatmap, lineChart } from './report/svg.js';
import { runPool } from './repro-pool.js';
import { hydraBudgetRank } from './run-embedded.js';
import { formatPaired, type PairedComparison, pairedComparison } from './stats.js';

export interface DemoOptions {
  out: string;
  model: string;
  seed: number;
  perComponentTrain: number;
  perComponentTest: number;
  steps: number;
  r: number;
  microBatchSize: number;
  lr: number;
  kMax: number;
  /** Training processes at once: ≥ 2 trains the LoRA in a worker process beside HydraLoRA (default 1). */
  jobs?: number;
  onInfo?: (message: string) => void;
  onStep?: (label: string, log: StepLog, total: number) => void;
}

export interface MethodRow {
  method: string;
  label: string;
  trainable: number;
  percent: number;
  perComponent: Record<string, number>;
  overall: number;
  trainSeconds: number;
  tokensPerSecond: number;
  energy?: FinetuneResult['energy'];
}

/** HydraLoRA against the equal-size LoRA on the same held-out examples. */
export interface DemoPaired {
  overall: PairedComparison;
  perComponent: Record<string, PairedComparison>;
  /** One sentence per comparison that says whether the difference is real. */
  summary: string;
}

export interface DemoResult {
  components: string[];
  paired: DemoPaired;
  /** Which components some method learnt (best held-out exact match ≥ 10%), as a sentence. */
  liveness: Liveness;
  clustering: { k: number; sse: number[]; sizes: number[]; topTerms: string[][]; nmi: number; ari: number };
  rows: MethodRow[];
  table: string;
  reportFile: string;
  resultsFile: string;
  seconds: number;
}

/** "CPU 2.9e-6 kWh (estimated) · GPU 0 kWh (estimated) · RAM …" — every estimate labelled. */
export function compactEnergy(e: EnergyReport): string {
  const part = (name: string, v: EnergyReport['cpu']) =>
    `${name} ${v.kWh.toExponential(2)} kWh (${v.source})`;
  return [part('CPU', e.cpu), part('GPU', e.gpu), part('RAM', e.ram)].join(' · ');
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const info = o.onInfo ?? (() => {});
  mkdirSync(o.out, { recursive: true });

  // 1. The corpus.
  const corpus = buildInstructionCorpus({
    seed: o.seed,
    perComponentTrain: o.perComponentTrain,
    perComponentTest: o.perComponentTest,
  });
  const dataDir = path.join(o.out, 'data');
  writeCorpus(dataDir, corpus);
  const components = corpus.components.map((c) => c.name);
  info(
    `corpus: ${corpus.train.length} training and ${corpus.test.length} held-out examples from ${components.length} components (${components.join(', ')})`,
  );

  // 2. Cluster and choose N.
  const trainFile = path.join(dataDir, 'train.jsonl');
  const records = readInstructionFile(trainFile);
  const clustering = findComponents(records.map(clusteringText), { kMax: o.kMax, seed: o.seed });
  const truth = records.map((r) => components.indexOf(r.component!));
  const nmi = normalizedMutualInfo(truth, clustering.labels);
  const ari = adjustedRandIndex(truth, clustering.labels);
  info(`clustering: ${formatSummary(clustering)}`);
  info(`N = ${clustering.k} (NMI ${nmi.toFixed(3)}, ARI ${ari.toFixed(3)} against the known components)`);

  // 3. Fine-tune HydraLoRA and a LoRA with the same number of trainable parameters: with
  // `jobs` ≥ 2 the LoRA trains (and is scored) in a worker process while HydraLoRA trains here,
  // the cores divided between them.
  const base = {
    model: o.model,
    data: trainFile,
    steps: o.steps,
    microBatchSize: o.microBatchSize,
    lr: o.lr,
    warmupSteps: Math.max(1, Math.round(o.steps / 20)),
    seed: o.seed,
    checkpointEvery: 0,
    kMax: o.kMax,
  };
  const adapter = { r: o.r, lora_alpha: 2 * o.r, lora_dropout: 0.05, target_modules: 'all-linear' };
  const loraRank = await hydraBudgetRank(o.model, o.r, clustering.k);
  const loraLabel = `lora r=${loraRank}`;
  const loraTask: FinetuneTask = {
    config: {
      ...base,
      out: path.join(o.out, 'lora'),
      adapter: { ...adapter, method: 'lora', num_heads: 1, r: loraRank, lora_alpha: 2 * loraRank },
    },
    test: corpus.test,
  };
  const jobs = o.jobs ?? 1;
  if (jobs > 1) setBlasThreadBudget(2);
  const stopWorker = new AbortController();
  const loraInWorker =
    jobs > 1
      ? runPool<FinetuneTaskResult>(
          [{ methodId: loraLabel, seed: o.seed, finetune: loraTask }],
          1,
          activeBackend()?.name ?? 'auto',
          o,
          true,
          stopWorker.signal,
        )
      : undefined;
  // a failure here must not leave the worker running (nor an unhandled rejection behind)
  loraInWorker?.catch(() => {});
  let hydra: FinetuneResult;
  try {
    hydra = await finetune(
      parseTrainConfig({
        ...base,
        out: path.join(o.out, 'hydra'),
        adapter: { ...adapter, method: 'hydra', num_heads: clustering.k },
      }),
      {
        overwrite: true,
        clustering,
        onInfo: info,
        onStep: (l, n) => o.onStep?.('hydra', l, n),
      },
    );
  } catch (e) {
    stopWorker.abort();
    if (jobs > 1) setBlasThreadBudget(1);
    throw e;
  }

  // 4. Evaluate the base model and both adapters on every component's held-out split.
  const knownIds = Int32Array.from(corpus.test, (e) => components.indexOf(e.component));
  info('evaluating base, LoRA and HydraLoRA on the held-out splits');
  const basePretrained = await loadPretrained(o.model);
  const baseEval = await evaluateExamples(basePretrained, corpus.test);
  basePretrained.model.dispose();
  hydra.adapter.setTelemetry(true);
  const hydraEval = await evaluateExamples(hydra.pretrained, corpus.test, { componentIds: knownIds });
  let lora: FinetuneTaskResult;
  try {
    lora = loraInWorker
      ? (await loraInWorker)[0]!
      : await runFinetuneTask(loraTask, { onInfo: info, onStep: (l, n) => o.onStep?.(loraLabel, l, n) });
  } catch (e) {
    hydra.adapter.dispose();
    hydra.pretrained.model.dispose();
    throw e;
  } finally {
    if (jobs > 1) setBlasThreadBudget(1);
  }
  const loraEval = { predictions: lora.predictions, report: lora.report };
  const usage = routerUsage(hydra.adapter, components);
  if (usage)
    info(
      `router: I(head; component) per layer ${meanMutualInformation(usage).toFixed(4)} nats on average (max over layers ${Math.max(...usage.layers.map((l) => l.mutualInformation)).toFixed(4)}; ln N = ${Math.log(clustering.k).toFixed(3)})`,
    );

  const row = (
    method: string,
    label: string,
    ev: Pick<typeof baseEval, 'report'>,
    ft?: Pick<FinetuneResult, 'trainable' | 'basePercent' | 'seconds' | 'tokensPerSecond' | 'energy'>,
  ): MethodRow => ({
    method,
    label,
    trainable: ft?.trainable ?? 0,
    percent: ft?.basePercent ?? 0,
    perComponent: Object.fromEntries(components.map((c) => [c, ev.report.perComponent[c]?.accuracy ?? 0])),
    overall: ev.report.overall.accuracy,
    trainSeconds: ft?.seconds ?? 0,
    tokensPerSecond: ft?.tokensPerSecond ?? 0,
    ...(ft ? { energy: ft.energy } : {}),
  });
  const rows = [
    row('base', 'Base model', baseEval),
    row('lora', `LoRA r=${loraRank}`, loraEval, lora),
    row('hydra', `HydraLoRA r=${o.r}, N=${clustering.k}`, hydraEval, hydra),
  ];
  const pct = (v: number) => (100 * v).toFixed(1);
  const headers = ['method', '%Param', ...components, 'overall', 'train s'];
  const body = rows.map((r) => [
    r.label,
    r.percent.toFixed(3),
    ...components.map((c) => pct(r.perComponent[c]!)),
    pct(r.overall),
    r.trainSeconds.toFixed(0),
  ]);
  const table = markdownTable(headers, body);
  const liveness = componentLiveness(rows, components);
  const paired = pairedHydraVsLora(
    hydraEval.report.hits,
    loraEval.report.hits,
    corpus.test.map((e) => e.component),
    components,
    o.seed,
  );

  // 5. The report.
  const seconds = (performance.now() - t0) / 1000;
  const curve = (h: StepLog[]) => h.map((s) => [s.step, s.loss] as [number, number]);
  const sections = [
    { title: 'Held-out exact match per component (%)', html: markdownTableToHtml(headers, body) },
    {
      title: 'HydraLoRA − LoRA, paired on the same examples',
      note: `${paired.summary} ${liveness.summary}`,
      html: markdownTableToHtml(
        [
          'component',
          'examples',
          'difference (points) [95% paired bootstrap], McNemar p',
          'only HydraLoRA right',
          'only LoRA right',
        ],
        [...components, 'overall'].map((c) => {
          const p = c === 'overall' ? paired.overall : paired.perComponent[c]!;
          return [c, p.n, formatPaired(p), p.onlyA, p.onlyB];
        }),
      ),
    },
    {
      title: 'Accuracy by component',
      html: barChart(
        'Held-out exact match',
        [...components, 'overall'],
        rows.map((r) => ({
          name: r.label,
          values: [...components.map((c) => r.perComponent[c]!), r.overall],
        })),
        { xLabel: 'component', yLabel: 'accuracy', max: 1 },
      ),
    },
    {
      title: `Choosing N: ${clustering.criterion === 'elbow' ? 'the SSE elbow' : 'the silhouette'}`,
      note: `K-means on TF-IDF features of the training prompts; ${clustering.criterion === 'elbow' ? 'the elbow (Kneedle)' : `the largest cosine silhouette (${clustering.silhouette[clustering.k - 1]?.toFixed(3)}; the SSE elbow would pick ${clustering.elbow.k})`} picks N = ${clustering.k}. Against the known components: NMI ${nmi.toFixed(3)}, ARI ${ari.toFixed(3)}.`,
      html:
        lineChart(
          'SSE against K',
          [{ name: 'SSE', points: clustering.ks.map((k, i) => [k, clustering.sse[i]!] as [number, number]) }],
          { xLabel: 'K', yLabel: 'SSE', markers: true, highlightX: clustering.k },
        ) +
        markdownTableToHtml(
          ['cluster', 'documents', 'top terms'],
          clustering.topTerms.map((t, i) => [String(i), clustering.sizes[i] ?? 0, t.slice(0, 8).join(', ')]),
        ),
    },
    {
      title: 'Training loss',
      html: lineChart(
        'Training loss (target tokens)',
        [
          { name: `LoRA r=${loraRank}`, points: curve(lora.history) },
          { name: `HydraLoRA N=${clustering.k}`, points: curve(hydra.history) },
        ],
        { xLabel: 'step', yLabel: 'loss', logY: true },
      ),
    },
    ...(usage
      ? [
          {
            title: 'Router usage per known component',
            note: `Mean router weight ω per head on the held-out examples of each component, averaged over the ${Object.keys(hydra.adapter.telemetry()).length} adapted layers (mean routing entropy ${usage.entropy.toFixed(3)} nats; uniform = ${Math.log(clustering.k).toFixed(3)}).`,
            html: heatmap(
              'Router usage',
              usage.rows,
              Array.from({ length: clustering.k }, (_, i) => `B${i + 1}`),
              usage.values,
              { xLabel: 'head', yLabel: 'component' },
            ),
          },
          {
            title: 'Router diagnostics per layer',
            note: `Mutual information I(head; component) between the known component of a held-out token and the head it is routed to (ω read as the distribution of the routed head), per adapted layer: 0 = every component uses the heads alike, ln N = ${Math.log(clustering.k).toFixed(3)} nats = each component on its own head. Mean over layers ${meanMutualInformation(usage).toFixed(4)} nats.`,
            html: markdownTableToHtml(
              ['layer', 'I(head; component), nats', 'of ln N', 'routing entropy, nats'],
              usage.layers.map((l) => [
                l.module,
                l.mutualInformation.toFixed(4),
                `${((100 * l.mutualInformation) / Math.log(clustering.k)).toFixed(1)}%`,
                l.entropy.toFixed(3),
              ]),
            ),
          },
        ]
      : []),
    {
      title: 'Cost',
      html: markdownTableToHtml(
        ['method', 'trainable params', 'train s', 'tokens/s', 'energy'],
        rows
          .slice(1)
          .map((r) => [
            r.label,
            r.trainable,
            r.trainSeconds.toFixed(1),
            r.tokensPerSecond.toFixed(0),
            r.energy ? compactEnergy(r.energy) : '',
          ]),
      ),
    },
  ];
  const reportFile = writeReport(
    path.join(o.out, 'report.html'),
    renderReport(
      'hydralora demo',
      `embedded default · seed ${o.seed} · ${(seconds / 60).toFixed(1)} min · ${new Date().toISOString()}`,
      sections,
    ),
  );
  const results = {
    seed: o.seed,
    components,
    clustering: {
      k: clustering.k,
      sse: clustering.sse,
      sizes: clustering.sizes,
      topTerms: clustering.topTerms,
      nmi,
      ari,
    },
    rows,
    paired,
    liveness,
    ...(usage
      ? { router: { usage: { components: usage.rows, values: usage.values }, layers: usage.layers } }
      : {}),
    predictions: { base: baseEval.predictions, lora: loraEval.predictions, hydra: hydraEval.predictions },
    seconds,
  };
  const resultsFile = path.join(o.out, 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(o.out, 'results.md'), `${table}\n\n${paired.summary}\n\n${liveness.summary}\n`);
  hydra.adapter.dispose();
  hydra.pretrained.model.dispose();
  return {
    components,
    paired,
    liveness,
    clustering: results.clustering,
    rows,
    table,
    reportFile,
    resultsFile,
    seconds,
  };
}

/** Best score per component over the fine-tuned methods, and the components none learnt. */
export interface Liveness {
  /** The best fine-tuned method's held-out exact match per component. */
  best: Record<string, { method: string; accuracy: number }>;
  /** Components where every fine-tuned method stays under `threshold`. */
  dead: string[];
  threshold: number;
  summary: string;
}

/**
 * A component is dead when every fine-tuned method (the base model does not count) scores under
 * `threshold` on it: then the comparison cannot say anything about it.
 */
export function componentLiveness(
  rows: readonly MethodRow[],
  components: readonly string[],
  threshold = 0.1,
): Liveness {
  const tuned = rows.filter((r) => r.method !== 'base');
  const best: Liveness['best'] = {};
  for (const c of components) {
    for (const r of tuned) {
      const accuracy = r.perComponent[c] ?? 0;
      if (!best[c] || accuracy > best[c].accuracy) best[c] = { method: r.label, accuracy };
    }
  }
  const dead = components.filter((c) => (best[c]?.accuracy ?? 0) < threshold);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const bests = components.map((c) => `${c} ${pct(best[c]?.accuracy ?? 0)}`).join(', ');
  const summary =
    dead.length === 0
      ? `No dead component: some method reaches ${pct(threshold)} or more on every component (best: ${bests}).`
      : `Dead components (every method under ${pct(threshold)}): ${dead.join(', ')} (best: ${bests}).`;
  return { best, dead, threshold, summary };
}

/**
 * HydraLoRA against LoRA per component and overall, paired by example, with a sentence saying
 * which differences the data can see (interval excludes 0 and McNemar p < 0.05).
 */
export function pairedHydraVsLora(
  hydra: readonly boolean[],
  lora: readonly boolean[],
  exampleComponents: readonly string[],
  components: readonly string[],
  seed: number,
): DemoPaired {
  const overall = pairedComparison(hydra, lora, { seed });
  const perComponent: Record<string, PairedComparison> = {};
  for (const c of components) {
    const idx = exampleComponents.flatMap((e, i) => (e === c ? [i] : []));
    if (idx.length > 0)
      perComponent[c] = pairedComparison(
        idx.map((i) => hydra[i]!),
        idx.map((i) => lora[i]!),
        { seed },
      );
  }
  const real = Object.entries(perComponent).filter(([, p]) => p.real);
  const summary =
    `HydraLoRA − LoRA overall: ${formatPaired(overall)} (${overall.n} paired examples; ${overall.onlyA} only HydraLoRA got right, ${overall.onlyB} only LoRA) — ` +
    (overall.real ? 'a real difference' : 'not distinguishable from no difference') +
    '. ' +
    (real.length === 0
      ? 'No per-component difference is real (every 95% interval contains 0 or McNemar p ≥ 0.05).'
      : `Real per-component differences: ${real.map(([c, p]) => `${c} ${formatPaired(p)}`).join('; ')}.`);
  return { overall, perComponent, summary };
}
