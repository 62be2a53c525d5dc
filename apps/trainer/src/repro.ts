/**
 * `hydralora repro`, the paper's comparison on the embedded default: the base model, LoRA r=8/16/32,
 * LoRA-Split 4×8, the paper's Table 1 pair (one LoRA per component, scored on its own component,
 * against one LoRA of their total rank on the mix), HydraLoRA r=8 with N from the clustering, the ablations (uniform gate, no MoE,
 * no shared A), the other baselines ((IA)³, full fine-tuning, prompt tuning, P-tuning, prefix
 * tuning, AdaLoRA, LoraHub) and the follow-up ablations, each over several seeds. The corpus and the clustering are fixed (seed 0); the seed
 * of a run changes the initialisation, the dropout masks and the data order. Every cell is the
 * mean ± the 95% t-interval over seeds. The results are written whichever way they fall.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomicSync as writeFileAtomic } from '@hydralora/common';
import { activeBackend } from '@hydralora/gpu-backend';
import { type ClusterResult, findComponents } from '@hydralora/intrinsic-clustering';
import type { StepLog } from '@hydralora/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { meanMutualInformation } from './evaluate.js';
import { markdownTable, markdownTableToHtml, renderReport, writeReport } from './report/html.js';
import { barChart, intervalChart, lineChart } from './report/svg.js';
import { COMPONENT_LORA_RANK, runPerComponentRepro } from './repro-components.js';
import { LORAHUB_REPRO, type LoraHubCell, runLoraHubRepro } from './repro-lorahub.js';
import { type ReproTask, runPool } from './repro-pool.js';
import {
  type EmbeddedSetup,
  type EvalScores,
  evaluateBase,
  hydraBudgetRank,
  prepareEmbedded,
  type RunOptions,
  trainAndEvaluate,
} from './run-embedded.js';
import {
  formatPaired,
  formatPercentInterval,
  formatSigned,
  type MeanInterval,
  meanInterval,
  type PairedComparison,
  pairedComparison,
} from './stats.js';

/** One method of the comparison. `heads`: a number, or 'elbow' for the clustering's N. */
export interface ReproMethod {
  id: string;
  label: string;
  method: string;
  /**
   * The rank; `'components'`: {@link COMPONENT_LORA_RANK} × the number of components;
   * `'hydra-budget'`: the rank whose LoRA has HydraLoRA r=8's trainable parameters (N from the clustering).
   */
  r: number | 'components' | 'hydra-budget';
  heads: number | 'elbow' | 'split4';
  router?: string;
  note?: string;
  /**
   * Adapter keys over the comparison's shared ones (a method's own targets, `router_aux`, …), or
   * a function of the run's options for keys that depend on them (AdaLoRA's schedule on `steps`).
   */
  adapter?: Record<string, unknown> | ((o: RunOptions) => Record<string, unknown>);
  /** Learning rate as a multiple of the comparison's `lr` (default 1). */
  lrScale?: number;
}

/** The paper's comparison and ablations, in table order (`base` is the untuned model). */
export const REPRO_METHODS: readonly ReproMethod[] = [
  { id: 'base', label: 'Base model', method: 'base', r: 0, heads: 1 },
  { id: 'lora-r8', label: 'LoRA r=8', method: 'lora', r: 8, heads: 1 },
  {
    id: 'lora-matched',
    label: 'LoRA, HydraLoRA’s budget',
    method: 'lora',
    r: 'hydra-budget',
    heads: 1,
    note: 'one LoRA whose rank gives it as many trainable parameters as HydraLoRA r=8 with N heads and its router (rounded): the “LoRA” every method is paired against',
  },
  { id: 'lora-r16', label: 'LoRA r=16', method: 'lora', r: 16, heads: 1 },
  { id: 'lora-r32', label: 'LoRA r=32', method: 'lora', r: 32, heads: 1 },
  {
    id: 'split',
    label: 'LoRA-Split 4×8',
    method: 'split',
    r: 8,
    heads: 'split4',
    note: 'four LoRAs r=8, each trained on one of 4 k-means clusters; test prompts are routed to their nearest cluster centroid',
  },
  {
    id: 'lora-mix',
    label: 'LoRA on the mix, r=8×K',
    method: 'lora',
    r: 'components',
    heads: 1,
    note: "one LoRA trained on the whole mix with the rank of the K per-component LoRAs together: the paper's Table 1 reference",
  },
  {
    id: 'per-component',
    label: 'LoRA per component (oracle), K×r8',
    method: 'per-component',
    r: COMPONENT_LORA_RANK,
    heads: 1,
    note: "one LoRA r=8 per component, trained on that component only (⌈steps/K⌉ steps each: as many examples in all as one run) and scored on its own component's held-out examples: the paper's Table 1 row, routing by the known component",
  },
  { id: 'hydra', label: 'HydraLoRA r=8', method: 'hydra', r: 8, heads: 'elbow' },
  {
    id: 'uniform-gate',
    label: 'HydraLoRA, uniform gate',
    method: 'hydra',
    r: 8,
    heads: 'elbow',
    router: 'uniform',
  },
  {
    id: 'no-moe',
    label: 'HydraLoRA N=1 (no MoE)',
    method: 'hydra',
    r: 8,
    heads: 1,
    note: 'HydraLoRA with a single B head: the same function and parameter count as LoRA r=8 (plus a 1-way gate whose weight is always 1)',
  },
  {
    id: 'no-shared-a',
    label: 'LoRA-MoE (no shared A)',
    method: 'lora-moe',
    r: 8,
    heads: 'elbow',
    note: 'N independent (A, B) pairs mixed by the same dense router',
  },
  {
    id: 'ia3',
    label: '(IA)³',
    method: 'ia3',
    r: 0,
    heads: 1,
    adapter: {
      target_modules: ['k_proj', 'v_proj', 'down_proj'],
      feedforward_modules: ['down_proj'],
      lora_dropout: 0,
    },
    lrScale: 10,
    note: "learned scaling of k_proj, v_proj and down_proj's input (PEFT's LLaMA defaults), at 10× the LoRA learning rate",
  },
  {
    id: 'full',
    label: 'Full fine-tuning',
    method: 'full',
    r: 0,
    heads: 1,
    adapter: { lora_dropout: 0 },
    lrScale: 0.1,
    note: 'every weight of the model trains, at 0.1× the LoRA learning rate',
  },
  // The prompt-learning baselines (Table 2): 20 virtual tokens each; learning rates not tuned.
  {
    id: 'prompt-tuning',
    label: 'Prompt tuning (20 tokens)',
    method: 'prompt-tuning',
    r: 0,
    heads: 1,
    adapter: { num_virtual_tokens: 20, target_modules: [], lora_dropout: 0 },
    lrScale: 10,
    note: '20 virtual input embeddings (random init), at 10× the LoRA learning rate',
  },
  {
    id: 'p-tuning',
    label: 'P-tuning (20 tokens, MLP)',
    method: 'p-tuning',
    r: 0,
    heads: 1,
    adapter: {
      num_virtual_tokens: 20,
      encoder_reparameterization_type: 'MLP',
      target_modules: [],
      lora_dropout: 0,
    },
    lrScale: 3,
    note: '20 virtual tokens produced by PEFT’s MLP prompt encoder (dropped after training), at 3× the LoRA learning rate',
  },
  {
    id: 'prefix-tuning',
    label: 'Prefix tuning (20 tokens)',
    method: 'prefix-tuning',
    r: 0,
    heads: 1,
    adapter: { num_virtual_tokens: 20, prefix_projection: true, target_modules: [], lora_dropout: 0 },
    lrScale: 3,
    note: '20 key/value prefixes per layer through the reparameterisation MLP while training, at 3× the LoRA learning rate',
  },
  {
    id: 'adalora',
    label: 'AdaLoRA r=12→8',
    method: 'adalora',
    r: 12,
    heads: 1,
    adapter: (o) => ({ init_r: 12, target_r: 8, ...adaloraSchedule(o.steps) }),
    note: "SVD-form updates P·Λ·Q of rank 12 on every linear, pruned during training by PEFT's importance-driven allocator to 8 per module on average (tinit 10% and tfinal 20% of the steps, an allocation every ⌊steps/25⌋ steps; orthogonality weight 0.5); α = 24, so α/init_r equals LoRA r=8's scaling",
  },
  {
    id: 'lorahub',
    label: 'LoraHub (per-component LoRAs r=8)',
    method: 'lorahub',
    r: LORAHUB_REPRO.r,
    heads: 1,
    note: `one LoRA r=8 trained per component on its own examples (the step budget shared among them); for each component, weights for the LoRAs found by LoraHub's gradient-free search (Nelder–Mead, ${LORAHUB_REPRO.maxEvaluations} evaluations, L1 0.05) on its first ${LORAHUB_REPRO.examples} training examples, the composed LoRA scored on its held-out examples; the pool includes the component's own LoRA`,
  },
  // The follow-up papers' answers to "why do the heads not specialise", as ablations.
  {
    id: 'hydra-diverse',
    label: 'HydraLoRA, head-diversity init',
    method: 'hydra-diverse',
    r: 8,
    heads: 'elbow',
    note: 'B heads start random and centred instead of zero, so the heads differ from the first step',
  },
  {
    id: 'hydra-sample',
    label: 'HydraLoRA, sample-level routing',
    method: 'hydra',
    r: 8,
    heads: 'elbow',
    router: 'sample',
    note: 'one ω per sample from the gate on the mask-aware mean of its inputs, instead of one per token',
  },
  {
    id: 'hydra-load-balance',
    label: 'HydraLoRA + load-balance loss',
    method: 'hydra',
    r: 8,
    heads: 'elbow',
    adapter: { router_aux: { load_balance: 0.01, importance: 0, z_loss: 0 } },
    note: 'the Switch/Mixtral load-balance loss (coefficient 0.01) added to the training loss',
  },
];

export interface ReproOptions extends RunOptions {
  /** Seeds of the runs (the corpus and clustering always use seed 0). */
  seeds: number[];
  /** Method ids from {@link REPRO_METHODS} (`['all']`: every one); default {@link DEFAULT_REPRO_METHODS}. */
  methods?: string[];
  /** The command line recorded in results.md. */
  commandLine?: string;
  /** Also write the markdown table here (atomically), e.g. docs/results/repro.md. */
  docs?: string;
  /** Worker processes training at once (default 1: everything in this process). */
  jobs?: number;
}

export interface ReproRow {
  id: string;
  label: string;
  method: string;
  r: number;
  heads: number;
  note?: string;
  trainable: number;
  percent: number;
  perComponent: Record<string, MeanInterval>;
  overall: MeanInterval;
  trainSeconds: MeanInterval;
  /** Sum over seeds of the energy meter's total kWh. */
  energyKWh: number;
  energyEstimated: boolean;
  /** Loss curve of the first seed. */
  history: StepLog[];
  /**
   * Paired comparisons on the same held-out examples and seeds (pairs: seed × example), against
   * LoRA at HydraLoRA's parameter budget (LoRA r=8 when that row did not run) and against HydraLoRA; absent for the base model, for the reference
   * itself, or when the reference was not run.
   */
  vsLora?: PairedComparison;
  vsHydra?: PairedComparison;
  /** LoraHub's row: what the search found, per seed. */
  lorahub?: (LoraHubCell & { seed: number })[];
  /** A learned router's diagnostics on the held-out split (HydraLoRA and LoRA-MoE rows). */
  router?: ReproRouter;
}

/** What a row's learned router does with the known components of the held-out examples. */
export interface ReproRouter {
  /** I(head; component) averaged over the adapted layers (nats): mean ± 95% t-interval over seeds. */
  mutualInformation: MeanInterval;
  /** The layer with the largest I(head; component), averaged over seeds (nats). */
  maxLayer: { module: string; mutualInformation: number };
  /** ln N: I(head; component) when each component has a head of its own. */
  lnHeads: number;
  /** Mean routing entropy over layers and seeds (nats; ln N = uniform). */
  entropy: number;
  /** Per adapted layer, in model order: I(head; component) averaged over seeds (nats). */
  layers: { module: string; mutualInformation: number }[];
  /** [component][head]: mean router weight ω over layers and seeds. */
  usage: number[][];
}

/** The router diagnostics of one row's runs, or nothing when its runs have no learned router. */
export function routerSummary(runs: readonly ReproRun[], heads: number): { router?: ReproRouter } {
  const usages = runs.flatMap((x) => (x.router ? [x.router] : []));
  if (usages.length === 0) return {};
  const first = usages[0]!;
  const layerMean = (mean: (u: (typeof usages)[number]) => number) =>
    usages.reduce((s, u) => s + mean(u), 0) / usages.length;
  const layers = first.layers.map((l, i) => ({
    module: l.module,
    mutualInformation: layerMean((u) => u.layers[i]!.mutualInformation),
  }));
  const maxLayer = layers.reduce((a, b) => (b.mutualInformation > a.mutualInformation ? b : a));
  return {
    router: {
      mutualInformation: meanInterval(usages.map(meanMutualInformation)),
      maxLayer,
      lnHeads: Math.log(heads),
      entropy: layerMean((u) => u.entropy),
      layers,
      usage: first.values.map((row, c) => row.map((_, h) => layerMean((u) => u.values[c]![h]!))),
    },
  };
}

/** The router table: one line per row with a learned router. */
export function routerTable(rows: readonly ReproRow[]): { headers: string[]; body: string[][] } {
  const headers = [
    'method',
    'I(head; component), nats, mean over layers',
    'of ln N',
    'largest layer',
    'routing entropy (ln N)',
  ];
  const body = rows.flatMap((r) => {
    const x = r.router;
    if (!x) return [];
    const mi = x.mutualInformation;
    return [
      [
        r.label,
        `${mi.mean.toFixed(4)}${mi.halfWidth !== null ? ` ± ${mi.halfWidth.toFixed(4)}` : ''}`,
        `${((100 * mi.mean) / x.lnHeads).toFixed(1)}%`,
        `${x.maxLayer.module}: ${x.maxLayer.mutualInformation.toFixed(4)}`,
        `${x.entropy.toFixed(3)} (${x.lnHeads.toFixed(3)})`,
      ],
    ];
  });
  return { headers, body };
}

export interface ReproResult {
  components: string[];
  seeds: number[];
  elbowK: number;
  rows: ReproRow[];
  table: string;
  /** Markdown table of the paired differences ('' when neither a LoRA reference nor HydraLoRA ran). */
  pairedTable: string;
  /** A sentence on which paired differences are real. */
  pairedSummary: string;
  /**
   * The paper's Table 1 gap: the per-component LoRAs (oracle) minus one LoRA of the same total
   * size on the mix, paired per example and seed; absent unless both rows ran.
   */
  table1?: PairedComparison;
  markdown: string;
  files: { results: string; markdown: string; report: string; docs?: string };
  seconds: number;
}

/**
 * The rows `repro` runs unless `--methods` says otherwise: the base model, LoRA at HydraLoRA's
 * budget, the Table 1 pair, HydraLoRA and the three follow-up ablations of its router — what fits
 * 5 seeds in 90 minutes on 2 cores. `--methods all` runs every row of {@link REPRO_METHODS}.
 */
export const DEFAULT_REPRO_METHODS: readonly string[] = [
  'base',
  'lora-matched',
  'lora-mix',
  'per-component',
  'hydra',
  'hydra-diverse',
  'hydra-sample',
  'hydra-load-balance',
];

/**
 * `repro`'s default steps per run, half the demo's 250: with {@link DEFAULT_REPRO_METHODS} and
 * 5 seeds, two training processes at a time, the run stays within 90 minutes on 2 cores.
 */
export const REPRO_DEFAULT_STEPS = 125;

/** The reference of the "vs LoRA" comparisons: the first of these that ran. */
export const LORA_REFERENCES: readonly string[] = ['lora-matched', 'lora-r8'];

/** Validate method ids (an error names the flag and the value); `all` = every method. */
export function selectMethods(ids: readonly string[] | undefined): ReproMethod[] {
  if (!ids) ids = DEFAULT_REPRO_METHODS;
  if (ids.length === 1 && ids[0] === 'all') return [...REPRO_METHODS];
  const known = new Map(REPRO_METHODS.map((m) => [m.id, m]));
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new Error(`--methods: method '${twice}' is listed twice`);
  return ids.map((id) => {
    const m = known.get(id);
    if (!m)
      throw new Error(
        `--methods: unknown method '${id}' (expected one of ${REPRO_METHODS.map((x) => x.id).join(', ')})`,
      );
    return m;
  });
}

/** The machine line of results.md: CPU model and core count, OS, Node and tfjs backend. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} cores, ${os.platform()} ${os.release()}, Node ${process.version}, tfjs backend ${tf.getBackend()}`;
}

/** The corpus, its elbow clustering and (built on first use) the 4-cluster split of LoRA-Split. */
export interface ReproSetup extends EmbeddedSetup {
  elbowK: number;
  /** The rank of LoRA at HydraLoRA r=8's parameter budget with N = elbowK heads (counted on first use). */
  matchedRank(): Promise<number>;
  split4(): ClusterResult;
}

/** Build the corpus and cluster it (deterministic: seed 0); the same in every worker process. */
export function reproSetup(o: RunOptions): ReproSetup {
  const setup = prepareEmbedded(o);
  let split: ClusterResult | undefined;
  let matched: Promise<number> | undefined;
  return {
    ...setup,
    elbowK: setup.clustering.k,
    matchedRank: () => {
      matched ??= hydraBudgetRank(o.model, 8, setup.clustering.k);
      return matched;
    },
    split4: () => {
      split ??= findComponents(setup.trainTexts, { k: 4, kMax: Math.max(4, o.kMax), seed: 0 });
      return split;
    },
  };
}

/** The rank a method gets with `components` components (and `matchedRank` for HydraLoRA's budget). */
export function rankOf(m: ReproMethod, components: number, matchedRank = 0): number {
  return m.r === 'components' ? COMPONENT_LORA_RANK * components : m.r === 'hydra-budget' ? matchedRank : m.r;
}

/** A row's label: the rank and K filled in where they depend on the data. */
function rowLabel(m: ReproMethod, heads: number, components: number, matchedRank: number): string {
  const label = m.label.replace('r=8×K', `r=${rankOf(m, components)}`).replace('K×', `${components}×`);
  if (m.r === 'hydra-budget') return `${label} (r=${matchedRank})`;
  return m.heads === 'elbow' ? `${label}, N=${heads}` : label;
}

/** The number of B heads (or Split LoRAs) a method gets. */
export function headsOf(m: ReproMethod, elbowK: number): number {
  if (m.method === 'base') return 1;
  return m.heads === 'elbow' ? elbowK : m.heads === 'split4' ? 4 : m.heads;
}

/**
 * AdaLoRA's schedule for a run of `steps` optimiser steps: warm-up (tinit) 10% of the steps,
 * final phase (tfinal) 20% but at least one step (so that the last allocation, to the target
 * budget, happens), an allocation every ⌊steps/25⌋ steps; always tinit + tfinal < steps.
 */
export function adaloraSchedule(steps: number): { tinit: number; tfinal: number; deltaT: number } {
  const tinit = Math.floor(steps / 10);
  const tfinal = Math.max(0, Math.min(Math.max(1, Math.floor(steps / 5)), steps - 1 - tinit));
  return { tinit, tfinal, deltaT: Math.max(1, Math.floor(steps / 25)) };
}

/** One cell of the comparison: a method (`base` ignores the seed) trained and scored with one seed. */
export type ReproRun = EvalScores & {
  history: StepLog[];
  lorahub?: LoraHubCell;
  /** A `per-component` task run `withLoraHub`: the `lorahub` row's cell of the same seed. */
  lorahubRun?: ReproRun;
};

export async function runReproTask(setup: ReproSetup, o: RunOptions, task: ReproTask): Promise<ReproRun> {
  const m = REPRO_METHODS.find((x) => x.id === task.methodId);
  if (!m) throw new Error(`--methods: unknown method '${task.methodId}'`);
  if (m.method === 'base') {
    o.onInfo?.('evaluating the base model');
    return { ...(await evaluateBase(setup, o.model)), history: [] };
  }
  o.onInfo?.(`${m.label}: seed ${task.seed}`);
  const spec = (id: string) => ({
    label: `${id} seed ${task.seed}`,
    out: path.join(o.out, 'runs', `${id}-seed${task.seed}`),
    seed: task.seed,
  });
  if (m.method === 'per-component') {
    const { run, pool } = await runPerComponentRepro(setup, o, spec(m.id));
    if (!task.withLoraHub) return run;
    return { ...run, lorahubRun: await runLoraHubRepro(setup, o, spec('lorahub'), pool) };
  }
  if (m.method === 'lorahub') return runLoraHubRepro(setup, o, spec(m.id));
  const adapter = typeof m.adapter === 'function' ? m.adapter(o) : m.adapter;
  return trainAndEvaluate(setup, o, {
    ...spec(m.id),
    method: m.method,
    r: rankOf(m, setup.components.length, m.r === 'hydra-budget' ? await setup.matchedRank() : 0),
    heads: headsOf(m, setup.elbowK),
    clustering: m.heads === 'split4' ? setup.split4() : setup.clustering,
    ...(m.router ? { router: m.router } : {}),
    ...(adapter ? { adapter } : {}),
    ...(m.lrScale !== undefined ? { lrScale: m.lrScale } : {}),
  });
}

export async function runRepro(o: ReproOptions): Promise<ReproResult> {
  const t0 = performance.now();
  const info = o.onInfo ?? (() => {});
  if (o.seeds.length === 0) throw new Error('--seeds: need at least one seed');
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new Error(`--jobs: expected a positive integer, got '${jobs}'`);
  const methods = selectMethods(o.methods);
  mkdirSync(o.out, { recursive: true });
  const setup = reproSetup(o);
  const { components, elbowK } = setup;
  const matchedRank = methods.some((m) => m.r === 'hydra-budget') ? await setup.matchedRank() : 0;
  info(`the clustering (${setup.clustering.criterion}) picks N = ${elbowK}`);
  const loraRef = LORA_REFERENCES.find((id) => methods.some((m) => m.id === id)) ?? LORA_REFERENCES[0]!;

  // With both the Table 1 row and LoraHub, the per-component task composes its own pool with
  // LoraHub: the same LoRAs (same data, steps and seed) are not trained twice.
  const sharePool = ['per-component', 'lorahub'].every((id) => methods.some((m) => m.id === id));
  const tasks: ReproTask[] = methods.flatMap((m) =>
    m.method === 'base'
      ? [{ methodId: m.id, seed: 0 }]
      : m.id === 'lorahub' && sharePool
        ? []
        : o.seeds.map((seed) => ({
            methodId: m.id,
            seed,
            ...(m.id === 'per-component' && sharePool ? { withLoraHub: true } : {}),
          })),
  );
  let runs: ReproRun[];
  if (jobs === 1) {
    runs = [];
    for (const task of tasks) runs.push(await runReproTask(setup, o, task));
  } else {
    info(`running ${tasks.length} trainings on ${Math.min(jobs, tasks.length)} worker processes`);
    runs = await runPool<ReproRun>(tasks, jobs, activeBackend()?.name ?? 'auto', o);
  }
  for (const [i, run] of [...runs.entries()]) {
    if (!run.lorahubRun) continue;
    tasks.push({ methodId: 'lorahub', seed: tasks[i]!.seed });
    runs.push(run.lorahubRun);
    delete run.lorahubRun;
  }

  const runsOf = (id: string) => runs.filter((_, i) => tasks[i]!.methodId === id);
  const hitsOf = (id: string) => runsOf(id).flatMap((x) => x.hits);
  const paired = (id: string, ref: string): PairedComparison | undefined =>
    id === ref || id === 'base' || !methods.some((m) => m.id === ref)
      ? undefined
      : pairedComparison(hitsOf(id), hitsOf(ref), { seed: 0 });
  const rows: ReproRow[] = methods.map((m) => {
    const mine = runsOf(m.id);
    const vsLora = paired(m.id, loraRef);
    const vsHydra = paired(m.id, 'hydra');
    const heads = headsOf(m, elbowK);
    const first = mine[0]!;
    const hub = mine.flatMap((x, i) => (x.lorahub ? [{ seed: o.seeds[i]!, ...x.lorahub }] : []));
    return {
      id: m.id,
      // N chosen by the elbow and the rank of 'lora-mix' are part of the label (they depend on the data).
      label: rowLabel(m, heads, components.length, matchedRank),
      method: m.method,
      r: rankOf(m, components.length, matchedRank),
      heads,
      ...(m.note ? { note: m.note } : {}),
      trainable: first.trainable,
      percent: first.percent,
      perComponent: Object.fromEntries(
        components.map((c) => [c, meanInterval(mine.map((x) => x.perComponent[c] ?? 0))]),
      ),
      overall: meanInterval(mine.map((x) => x.overall)),
      trainSeconds: meanInterval(mine.map((x) => x.trainSeconds)),
      energyKWh: mine.reduce((s, x) => s + x.energyKWh, 0),
      energyEstimated: mine.some((x) => x.energyEstimated),
      history: first.history,
      ...(vsLora ? { vsLora } : {}),
      ...(vsHydra ? { vsHydra } : {}),
      ...(hub.length ? { lorahub: hub } : {}),
      ...routerSummary(mine, heads),
    };
  });
  const table1 =
    methods.some((m) => m.id === 'per-component') && methods.some((m) => m.id === 'lora-mix')
      ? pairedComparison(hitsOf('per-component'), hitsOf('lora-mix'), { seed: 0 })
      : undefined;
  const seconds = (performance.now() - t0) / 1000;
  return writeReproOutputs(o, setup, rows, elbowK, seconds, table1);
}

/** The sentence on the Table 1 gap (per-component LoRAs against one LoRA of their size on the mix). */
export function table1Sentence(rows: readonly ReproRow[], gap: PairedComparison): string {
  const own = rows.find((r) => r.id === 'per-component')!;
  const mix = rows.find((r) => r.id === 'lora-mix')!;
  const verdict = gap.real
    ? gap.difference > 0
      ? 'the per-component LoRAs are better: the mix interferes with one LoRA of their size'
      : 'the single LoRA on the mix is better: at this budget the components help each other more than they interfere'
    : 'no real difference: this run does not show the interference of the paper’s Table 1';
  return `Table 1 gap (${own.label} − ${mix.label}, the same total rank): ${formatPaired(gap)} points over ${gap.n} pairs; ${verdict}.`;
}

/** Write results.json, results.md, report.html (and the docs copy) of a comparison; `runRepro` ends here. */
export function writeReproOutputs(
  o: ReproOptions,
  setup: EmbeddedSetup,
  rows: ReproRow[],
  elbowK: number,
  seconds: number,
  table1?: PairedComparison,
): ReproResult {
  const { components } = setup;
  const headers = ['method', '%Param', ...components, 'overall'];
  const body = rows.map((r) => [
    r.label,
    r.percent.toFixed(3),
    ...components.map((c) => formatPercentInterval(r.perComponent[c]!)),
    formatPercentInterval(r.overall),
  ]);
  const table = markdownTable(headers, body);
  // the cost in a table of its own: the accuracy table stays narrow enough to read at a glance
  const costNote =
    'training time is the mean per seed; energy is the sum over seeds ("est." = estimated, not measured).';
  const costHeaders = ['method', 'train s (mean per seed)', 'energy kWh (sum over seeds)'];
  const costBody = rows
    .filter((r) => r.method !== 'base')
    .map((r) => [
      r.label,
      r.trainSeconds.mean.toFixed(1),
      `${r.energyKWh.toExponential(2)}${r.energyEstimated ? ' (est.)' : ''}`,
    ]);
  const loraLabel = loraReferenceLabel(rows);
  const {
    table: pairedTable,
    headers: pairedHeaders,
    body: pairedBody,
    summary,
  } = pairedSection(rows, o.seeds.length, loraLabel);
  const chart = pairedChart(rows, o.seeds.length, loraLabel);
  const router = routerTable(rows);
  const routerSection = router.body.length
    ? [
        'Router diagnostics on the held-out examples: I(head; component) between the known component of a token and the head it is routed to (ω read as the routed head’s distribution), per adapted layer, then averaged over layers; mean ± 95% t-interval over seeds. 0 = every component uses the heads alike; ln N = each component has a head of its own.',
        '',
        markdownTable(router.headers, router.body),
        '',
      ]
    : [];
  const gapSentence = table1 ? table1Sentence(rows, table1) : '';
  const date = new Date().toISOString();
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.label}: ${r.note}.`);
  const hub = rows.find((r) => r.lorahub?.length)?.lorahub?.[0];
  const hubSection = hub
    ? [
        `LoraHub's weights (seed ${hub.seed}): one row per target component, one column per LoRA of the pool (each trained ${hub.stepsPerLora} steps on its component); the loss is the mean target-token cross-entropy on the fitted examples (base model → plain average → best found).`,
        '',
        markdownTable(
          ['target', ...hub.adapters, 'examples', 'evaluations', 'loss'],
          Object.keys(hub.weights).map((c) => [
            c,
            ...hub.weights[c]!.map((w) => w.toFixed(3)),
            hub.examples[c]!,
            hub.evaluations[c]!,
            `${hub.baseLoss[c]!.toFixed(3)} → ${hub.averageLoss[c]!.toFixed(3)} → ${hub.loss[c]!.toFixed(3)}`,
          ]),
        ),
        '',
      ]
    : [];
  const markdown = [
    '# hydralora repro: the paper’s comparison on the embedded default',
    '',
    `- command: \`${o.commandLine ?? 'hydralora repro'}\``,
    `- seeds: ${o.seeds.join(', ')} (corpus and clustering: seed 0); N from the clustering (${setup.clustering.criterion}): ${elbowK}`,
    `- data: ${o.perComponentTrain} training and ${o.perComponentTest} held-out examples per component; ${o.steps} steps per run`,
    `- date: ${date}; ${(seconds / 60).toFixed(1)} min in all, ${o.jobs ?? 1} training process${(o.jobs ?? 1) > 1 ? 'es' : ''} at a time`,
    `- machine: ${machineDescription()}`,
    '',
    // the chart and the sentence lead (a chart exists exactly when the paired table does)
    ...(chart ? [chart, '', summary, ''] : []),
    ...(gapSentence ? [gapSentence, ''] : []),
    'Held-out exact match (%), mean ± 95% t-interval over seeds (no interval with one seed); the base model is evaluated once.',
    '',
    table,
    '',
    `Cost: ${costNote}`,
    '',
    markdownTable(costHeaders, costBody),
    '',
    ...(pairedTable
      ? [
          'Paired differences in held-out exact match (percentage points) on the same examples and seeds: [95% paired-bootstrap interval], McNemar exact p.',
          '',
          pairedTable,
          '',
        ]
      : []),
    ...routerSection,
    ...hubSection,
    ...notes,
    '',
  ].join('\n');
  const resultsFile = path.join(o.out, 'results.json');
  const mdFile = path.join(o.out, 'results.md');
  writeFileAtomic(
    resultsFile,
    `${JSON.stringify(
      {
        command: o.commandLine ?? null,
        date,
        machine: machineDescription(),
        seeds: o.seeds,
        components,
        elbowK,
        options: {
          steps: o.steps,
          perComponentTrain: o.perComponentTrain,
          perComponentTest: o.perComponentTest,
        },
        rows: rows.map(({ history: _h, ...r }) => r),
        ...(table1 ? { table1 } : {}),
        seconds,
      },
      null,
      2,
    )}\n`,
  );
  writeFileAtomic(mdFile, markdown);
  let docs: string | undefined;
  if (o.docs) {
    writeFileAtomic(o.docs, markdown);
    docs = o.docs;
  }
  const sections = [
    ...(chart
      ? [
          {
            title: 'Paired differences',
            note: gapSentence ? `${summary} ${gapSentence}` : summary,
            html: chart,
          },
        ]
      : []),
    { title: 'Held-out exact match per component (%)', html: markdownTableToHtml(headers, body) },
    {
      title: 'Cost',
      note: `${costNote[0]!.toUpperCase()}${costNote.slice(1)}`,
      html: markdownTableToHtml(costHeaders, costBody),
    },
    ...(pairedTable
      ? [
          {
            title: 'Paired differences (points)',
            html: markdownTableToHtml(pairedHeaders, pairedBody),
          },
        ]
      : []),
    ...(router.body.length
      ? [
          {
            title: 'Router: I(head; component) per layer',
            note: routerSection[0],
            html: `${markdownTableToHtml(router.headers, router.body)}${lineChart(
              'I(head; component) per adapted layer, mean over seeds (nats)',
              rows.flatMap((r) =>
                r.router
                  ? [
                      {
                        name: r.label,
                        points: r.router.layers.map((l, i) => [i, l.mutualInformation] as [number, number]),
                      },
                    ]
                  : [],
              ),
              { xLabel: 'adapted layer (model order)', yLabel: 'nats' },
            )}`,
          },
        ]
      : []),
    {
      title: 'Accuracy by component, mean ± 95% CI',
      html: barChart(
        'Held-out exact match',
        [...components, 'overall'],
        rows.map((r) => ({
          name: r.label,
          values: [...components.map((c) => r.perComponent[c]!.mean), r.overall.mean],
          errors: [...components.map((c) => r.perComponent[c]!.halfWidth ?? 0), r.overall.halfWidth ?? 0],
        })),
        { xLabel: 'component', yLabel: 'accuracy', max: 1 },
      ),
    },
    {
      title: 'Training loss (first seed)',
      html: lineChart(
        'Training loss (target tokens)',
        rows
          .filter((r) => r.history.length > 0)
          .map((r) => ({
            name: r.label,
            points: r.history.map((s) => [s.step, s.loss] as [number, number]),
          })),
        { xLabel: 'step', yLabel: 'loss', logY: true },
      ),
    },
  ];
  const report = writeReport(
    path.join(o.out, 'report.html'),
    renderReport(
      'hydralora repro',
      `seeds ${o.seeds.join(', ')} · ${date} · ${machineDescription()}`,
      sections,
    ),
  );
  return {
    components,
    seeds: o.seeds,
    elbowK,
    rows,
    table,
    pairedTable,
    pairedSummary: summary,
    ...(table1 ? { table1 } : {}),
    markdown,
    files: { results: resultsFile, markdown: mdFile, report, ...(docs ? { docs } : {}) },
    seconds,
  };
}

/**
 * The paired-differences table (each method against LoRA — at HydraLoRA's budget when that row
 * ran, else r=8 — and against HydraLoRA) and a
 * sentence naming the differences the data can see: the 95% interval excludes 0 and McNemar's
 * p < 0.05.
 */
export function pairedSection(
  rows: readonly ReproRow[],
  seeds: number,
  loraLabel = 'LoRA r=8',
): { table: string; headers: string[]; body: (string | number)[][]; summary: string } {
  const withPairs = rows.filter((r) => r.vsLora || r.vsHydra);
  if (withPairs.length === 0) return { table: '', headers: [], body: [], summary: '' };
  const cell = (p: PairedComparison | undefined) => (p ? formatPaired(p) : '—');
  const headers = ['method', 'pairs', `vs ${loraLabel}`, 'vs HydraLoRA'];
  const body = withPairs.map((r) => [r.label, (r.vsLora ?? r.vsHydra)!.n, cell(r.vsLora), cell(r.vsHydra)]);
  const real = withPairs.flatMap((r) =>
    (
      [
        [loraLabel, r.vsLora],
        ['HydraLoRA', r.vsHydra],
      ] as const
    ).flatMap(([ref, p]) => (p?.real ? [`${r.label} vs ${ref} (${formatPaired(p)})`] : [])),
  );
  const pairs = pairCount(withPairs);
  const summary =
    real.length === 0
      ? `No difference is real at this budget: every 95% paired interval contains 0 or McNemar's p ≥ 0.05 (${pairs} pairs = ${seeds} seed${seeds === 1 ? '' : 's'} × the held-out examples).`
      : `Real differences (95% paired interval excludes 0 and McNemar's p < 0.05; ${pairs} pairs = ${seeds} seed${seeds === 1 ? '' : 's'} × the held-out examples): ${real.join('; ')}. Every other difference is within noise.`;
  return { table: markdownTable(headers, body), headers, body, summary };
}

/**
 * The paired differences as a chart (each method against the LoRA reference and against HydraLoRA, in
 * points, with the 95% paired-bootstrap interval; real differences filled), or '' when no row
 * was paired. It leads the markdown and the report: the table is wide, the chart reads at a glance.
 */
export function pairedChart(rows: readonly ReproRow[], seeds: number, loraLabel = 'LoRA r=8'): string {
  const panel = (name: string, pick: (r: ReproRow) => PairedComparison | undefined) => ({
    name,
    rows: rows.flatMap((r) => {
      const p = pick(r);
      return p
        ? [{ label: r.label, value: 100 * p.difference, low: 100 * p.low, high: 100 * p.high, real: p.real }]
        : [];
    }),
  });
  const panels = [panel(`vs ${loraLabel}`, (r) => r.vsLora), panel('vs HydraLoRA', (r) => r.vsHydra)].filter(
    (p) => p.rows.length > 0,
  );
  if (panels.length === 0) return '';
  const pairs = pairCount(rows);
  return intervalChart(
    `Held-out exact match, difference from the reference (points; ${pairs} pairs over ${seeds} seed${seeds === 1 ? '' : 's'})`,
    panels,
    {
      xLabel: 'points · line: 95% paired-bootstrap interval · filled: real (excludes 0, McNemar p < 0.05)',
      format: (v) => formatSigned(v),
      order: rows.map((r) => r.label),
    },
  );
}

/** The label of the row the "vs LoRA" comparisons are against (LoRA at HydraLoRA's budget, else r=8). */
function loraReferenceLabel(rows: readonly ReproRow[]): string {
  const id = LORA_REFERENCES.find((x) => rows.some((r) => r.id === x));
  return rows.find((r) => r.id === id)?.label ?? 'LoRA r=8';
}

/** Examples paired per comparison (every comparison pairs the same examples and seeds). */
function pairCount(rows: readonly ReproRow[]): number {
  const first = rows.find((r) => r.vsLora ?? r.vsHydra)!;
  return (first.vsLora ?? first.vsHydra)!.n;
}
