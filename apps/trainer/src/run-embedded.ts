/**
 * The pieces `repro` and `sweep` share on the embedded default: build the corpus (seed 0, as the
 * demo does) and cluster it once; fine-tune one configuration on a freshly loaded base model and
 * score it on every component's held-out split; then free the model and its adapter.
 */
import path from 'node:path';
import { type AdapterModel, injectAdapters } from '@hydralora/core-adapters';
import { type ClusterResult, findComponents } from '@hydralora/intrinsic-clustering';
import { loadPretrained } from '@hydralora/models';
import {
  clusteringText,
  type FinetuneResult,
  finetune,
  parseTrainConfig,
  readInstructionFile,
  routesByComponent,
  type StepLog,
} from '@hydralora/trainer';
import { buildInstructionCorpus, type InstructionCorpus, writeCorpus } from './embedded/index.js';
import { evaluateExamples, type RouterUsage, routerUsage } from './evaluate.js';

/** Options shared by the experiments on the embedded default (defaults as `hydralora demo`). */
export interface RunOptions {
  out: string;
  model: string;
  perComponentTrain: number;
  perComponentTest: number;
  steps: number;
  microBatchSize: number;
  lr: number;
  kMax: number;
  onInfo?: (message: string) => void;
  onStep?: (label: string, log: StepLog, total: number) => void;
}

export interface EmbeddedSetup {
  corpus: InstructionCorpus;
  components: string[];
  trainFile: string;
  trainTexts: string[];
  testTexts: string[];
  /** The elbow clustering of the training prompts (seed 0). */
  clustering: ClusterResult;
}

/** Scores of one evaluated model (accuracies in [0, 1]). */
export interface EvalScores {
  perComponent: Record<string, number>;
  overall: number;
  /** Right or wrong per held-out example, in the test split's order (paired comparisons). */
  hits: boolean[];
  trainable: number;
  percent: number;
  trainSeconds: number;
  energyKWh: number;
  energyEstimated: boolean;
  /** A learned router's usage per component and I(head; component) per layer on the held-out split. */
  router?: RouterUsage;
}

/** Build and write the corpus (seed 0) under `out/data` and run the elbow clustering once. */
export function prepareEmbedded(o: RunOptions): EmbeddedSetup {
  const corpus = buildInstructionCorpus({
    seed: 0,
    perComponentTrain: o.perComponentTrain,
    perComponentTest: o.perComponentTest,
  });
  const dataDir = path.join(o.out, 'data');
  writeCorpus(dataDir, corpus);
  const trainFile = path.join(dataDir, 'train.jsonl');
  const trainTexts = readInstructionFile(trainFile).map(clusteringText);
  const testTexts = readInstructionFile(path.join(dataDir, 'test.jsonl')).map(clusteringText);
  const clustering = findComponents(trainTexts, { kMax: o.kMax, seed: 0 });
  return {
    corpus,
    components: corpus.components.map((c) => c.name),
    trainFile,
    trainTexts,
    testTexts,
    clustering,
  };
}

function scores(setup: EmbeddedSetup, report: Awaited<ReturnType<typeof evaluateExamples>>['report']) {
  return {
    perComponent: Object.fromEntries(setup.components.map((c) => [c, report.perComponent[c]?.accuracy ?? 0])),
    overall: report.overall.accuracy,
    hits: report.hits,
  };
}

/** Exact match of the untuned base model. */
export async function evaluateBase(setup: EmbeddedSetup, model: string): Promise<EvalScores> {
  const pretrained = await loadPretrained(model);
  try {
    const ev = await evaluateExamples(pretrained, setup.corpus.test);
    return {
      ...scores(setup, ev.report),
      trainable: 0,
      percent: 0,
      trainSeconds: 0,
      energyKWh: 0,
      energyEstimated: false,
    };
  } finally {
    pretrained.model.dispose();
  }
}

export interface TrainSpec {
  label: string;
  out: string;
  method: string;
  r: number;
  heads: number;
  seed: number;
  router?: string;
  /** Adapter keys over the shared ones (e.g. (IA)³'s targets). */
  adapter?: Record<string, unknown>;
  /** Learning rate as a multiple of `RunOptions.lr` (default 1). */
  lrScale?: number;
  /** Clustering handed to finetune (Split routes training samples by its labels; needs k = heads). */
  clustering?: ClusterResult;
  /** Training data (default: the corpus's train.jsonl). */
  data?: string;
  /** Optimiser steps (default `RunOptions.steps`). */
  steps?: number;
}

/**
 * Fine-tune one configuration on a fresh copy of the base model (the comparison's shared
 * settings: every linear layer, dropout 0.05, α = 2r, warm-up 5%); the caller frees the result's
 * adapter and model.
 */
export async function trainRun(
  setup: EmbeddedSetup,
  o: RunOptions,
  spec: TrainSpec,
): Promise<FinetuneResult> {
  const steps = spec.steps ?? o.steps;
  return finetune(
    parseTrainConfig({
      model: o.model,
      data: spec.data ?? setup.trainFile,
      out: spec.out,
      adapter: {
        method: spec.method,
        // r = 0: a method without a rank ((IA)³, full)
        ...(spec.r > 0 ? { r: spec.r, lora_alpha: 2 * spec.r } : {}),
        num_heads: spec.heads,
        lora_dropout: 0.05,
        target_modules: 'all-linear',
        // Split is evaluated with cluster assignments (below), as the paper; no learned router.
        split_router: false,
        ...(spec.router ? { router: spec.router } : {}),
        ...spec.adapter,
      },
      steps,
      microBatchSize: o.microBatchSize,
      lr: o.lr * (spec.lrScale ?? 1),
      warmupSteps: Math.max(1, Math.round(steps / 20)),
      seed: spec.seed,
      checkpointEvery: 0,
      kMax: o.kMax,
    }),
    {
      overwrite: true,
      ...(spec.clustering ? { clustering: spec.clustering } : {}),
      ...(o.onInfo ? { onInfo: o.onInfo } : {}),
      onStep: (l, n) => o.onStep?.(spec.label, l, n),
    },
  );
}

/**
 * Fine-tune one configuration on a fresh copy of the base model, evaluate it on the held-out
 * split, and dispose the model and adapter. Split is evaluated with each test prompt routed to
 * its nearest cluster centroid (`clustering.model.assign`).
 */
export async function trainAndEvaluate(
  setup: EmbeddedSetup,
  o: RunOptions,
  spec: TrainSpec,
): Promise<EvalScores & { history: StepLog[] }> {
  const ft = await trainRun(setup, o, spec);
  try {
    const byCluster = routesByComponent(ft.adapter.config()) && spec.clustering;
    // A learned router (HydraLoRA, LoRA-MoE) is watched on the held-out split with the known
    // component of each example: its usage per component and I(head; component) per layer.
    const routed = !byCluster && ft.adapter.config().num_heads > 1;
    const componentIds = byCluster
      ? Int32Array.from(spec.clustering!.model.assign(setup.testTexts))
      : routed
        ? Int32Array.from(setup.corpus.test, (e) => setup.components.indexOf(e.component))
        : undefined;
    if (routed) ft.adapter.setTelemetry(true);
    const ev = await evaluateExamples(ft.pretrained, setup.corpus.test, componentIds ? { componentIds } : {});
    const router = routed ? routerUsage(ft.adapter, setup.components) : undefined;
    return {
      ...scores(setup, ev.report),
      ...(router ? { router } : {}),
      trainable: ft.trainable,
      percent: ft.basePercent,
      trainSeconds: ft.seconds,
      energyKWh: ft.energy.totalKWh,
      energyEstimated: ft.energy.estimated,
      history: ft.history,
    };
  } finally {
    ft.adapter.dispose();
    ft.pretrained.model.dispose();
  }
}

/**
 * The rank of a LoRA on the same layers with as many trainable parameters as `trainable`:
 * trainable / Σ(in + out features) over the adapter's layers, rounded (at least 1).
 */
export function budgetMatchedRank(adapter: AdapterModel, trainable: number): number {
  const perRank = [...adapter.layers().values()].reduce((s, l) => s + l.inFeatures + l.outFeatures, 0);
  return Math.max(1, Math.round(trainable / perRank));
}

/**
 * The rank of a LoRA with HydraLoRA's parameter budget (rank `r`, `heads` B heads and the router,
 * on every linear as the comparison trains them), counted on the base model at `model`.
 */
export async function hydraBudgetRank(model: string, r: number, heads: number): Promise<number> {
  const pretrained = await loadPretrained(model);
  try {
    const adapter = injectAdapters(pretrained.model, {
      method: 'hydra',
      r,
      lora_alpha: 2 * r,
      num_heads: heads,
      target_modules: 'all-linear',
    });
    const rank = budgetMatchedRank(adapter, adapter.parameterCount().trainable);
    adapter.dispose();
    return rank;
  } finally {
    pretrained.model.dispose();
  }
}
