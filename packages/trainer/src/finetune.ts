/**
 * A whole fine-tuning run from files (what `hydralora train` runs): load the frozen base model and
 * its tokenizer, read the instruction data, choose N with the clustering step when asked
 * (`adapter.num_heads: 'auto'`), train a {@link Trainer}, and save the adapter in PEFT's layout
 * with a run summary (`run.json`). The output folder is the run's: see `prepareRunDir`.
 */
import path from 'node:path';
import { promptUserText, writeJsonAtomicSync } from '@hydralora/common';
import { type AdapterModel, methodRegistry } from '@hydralora/core-adapters';
import { EnergyMeter, type EnergyReport } from '@hydralora/gpu-backend';
import { type ClusterResult, findComponents } from '@hydralora/intrinsic-clustering';
import { loadPretrained, type Pretrained } from '@hydralora/models';
import type { StepLog, TrainerCallback } from './callbacks.js';
import { routesByComponent, type TrainConfig } from './config.js';
import { type InstructionRecord, readInstructionFile } from './data.js';
import { textTokenizer } from './tokenizer.js';
import { Trainer } from './trainer.js';

export interface FinetuneHooks {
  /** Continue the run in `config.out` from its latest checkpoint. */
  resume?: boolean;
  /** Replace another run's files in `config.out`. */
  overwrite?: boolean;
  stopAfterStep?: number;
  onStep?: (log: StepLog, total: number) => void;
  onInfo?: (message: string) => void;
  callbacks?: TrainerCallback[];
  /** Reuse an already loaded base model (it is left with the adapter injected). */
  pretrained?: Pretrained;
  /** Reuse a clustering already computed on the same data. */
  clustering?: ClusterResult;
}

export interface FinetuneResult {
  outDir: string;
  adapterDir: string;
  method: string;
  heads: number;
  steps: number;
  components: string[];
  trainable: number;
  basePercent: number;
  seconds: number;
  tokens: number;
  tokensPerSecond: number;
  history: StepLog[];
  clustering?: { k: number; sse: number[]; sizes: number[]; topTerms: string[][] };
  energy: EnergyReport;
  adapter: AdapterModel;
  pretrained: Pretrained;
}

/** Text the clustering step sees for a record: the prompt without the template's markup. */
export function clusteringText(r: InstructionRecord): string {
  return promptUserText(r.prompt);
}

export async function finetune(config: TrainConfig, hooks: FinetuneHooks = {}): Promise<FinetuneResult> {
  const info = hooks.onInfo ?? (() => {});
  const meter = await EnergyMeter.start();
  const t0 = performance.now();
  const pretrained = hooks.pretrained ?? (await loadPretrained(config.model));
  const tokenizer = textTokenizer(pretrained);
  const records = readInstructionFile(config.data, { tokenizer });
  const evalRecords = config.evalData ? readInstructionFile(config.evalData, { tokenizer }) : undefined;
  const known = [
    ...new Set(records.map((r) => r.component).filter((c): c is string => c !== undefined)),
  ].sort();
  const knownIndex = new Map(known.map((c, i) => [c, i]));
  info(
    `data: ${records.length} records${known.length ? `, ${known.length} known components (${known.join(', ')})` : ''}`,
  );

  const adapterConfig = config.adapter;
  let clustering: ClusterResult | undefined = hooks.clustering;
  let heads: number;
  if (adapterConfig.num_heads === 'auto') {
    clustering ??= findComponents(records.map(clusteringText), {
      kMax: Math.min(config.kMax, records.length),
      seed: config.seed,
    });
    heads = clustering.k;
    info(
      `clustering: the ${clustering.criterion === 'elbow' ? 'SSE elbow' : 'silhouette'} picks N = ${heads} (K = 1..${clustering.ks.length})`,
    );
  } else heads = adapterConfig.num_heads;

  // Split routes each sample to its component's head: the cluster of the sample when the
  // clustering step ran (as the paper), else its known label. Other methods get the known labels
  // (used only for routing telemetry).
  let componentIds: Int32Array;
  if (routesByComponent(adapterConfig)) {
    if (clustering && clustering.k === heads) componentIds = Int32Array.from(clustering.labels);
    else if (known.length === heads && records.every((r) => r.component !== undefined))
      componentIds = Int32Array.from(records.map((r) => knownIndex.get(r.component!)!));
    else
      throw new Error(
        `method '${adapterConfig.method}' needs a component per record: use num_heads auto, or data with ${heads} known components (found ${known.length})`,
      );
  } else
    componentIds = Int32Array.from(
      records.map((r) => (r.component !== undefined ? knownIndex.get(r.component)! : -1)),
    );

  const { model: _m, data: _d, evalData: _e, out: _o, kMax: _k, adapter: _a, ...args } = config;
  const trainer = new Trainer({
    model: pretrained,
    adapter: { ...adapterConfig, num_heads: heads },
    trainData: records,
    ...(evalRecords ? { evalData: evalRecords } : {}),
    args,
    outDir: config.out,
    componentIds,
    fingerprint: { data: path.resolve(config.data), model: path.resolve(config.model) },
    ...(hooks.resume ? { resume: true } : {}),
    ...(hooks.overwrite ? { overwrite: true } : {}),
    ...(hooks.stopAfterStep !== undefined ? { stopAfterStep: hooks.stopAfterStep } : {}),
    callbacks: [
      ...(hooks.onStep ? [{ onStep: (log: StepLog) => hooks.onStep!(log, trainer.steps) }] : []),
      ...(hooks.callbacks ?? []),
    ],
  });
  const { adapter } = trainer;
  const counts = adapter.parameterCount();
  const method = methodRegistry.get(adapterConfig.method, config.out);
  const shape = method.createLayer || method.wholeModel ? '' : `, r=${adapterConfig.r}, N=${heads}`;
  info(
    `adapter: ${adapterConfig.method}${shape}: ${counts.trainable} trainable parameters (${counts.percent.toFixed(3)}% of ${counts.base})`,
  );
  const run = await trainer.train();
  const adapterDir = await trainer.save(path.join(config.out, 'adapter'));
  const seconds = (performance.now() - t0) / 1000;
  const energy = await meter.stop();
  const result: FinetuneResult = {
    outDir: config.out,
    adapterDir,
    method: adapterConfig.method,
    heads,
    steps: run.steps,
    components: known,
    trainable: counts.trainable,
    basePercent: counts.percent,
    seconds,
    tokens: run.tokens,
    tokensPerSecond: run.tokensPerSecond,
    history: run.history,
    ...(clustering
      ? {
          clustering: {
            k: clustering.k,
            sse: clustering.sse,
            sizes: clustering.sizes,
            topTerms: clustering.topTerms,
          },
        }
      : {}),
    energy,
    adapter,
    pretrained,
  };
  const { adapter: _ad, pretrained: _p, history: _h, ...summary } = result;
  const runFile = path.join(config.out, 'run.json');
  writeJsonAtomicSync(runFile, { config, ...summary });
  return result;
}
