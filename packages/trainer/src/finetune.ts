/**
 * Fine-tuning, composed from the packages: load the frozen base model and its tokenizer, read the
 * instruction data, choose N with the clustering step when asked (`heads: 'auto'`), inject the
 * adapters, run the training loop with the loss on the target tokens (plus the routers' auxiliary
 * losses), and save the adapter in PEFT's layout with a run summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type AdapterModel, injectAdapters, saveAdapter } from '@hydralora/core-adapters';
import { EnergyMeter, type EnergyReport } from '@hydralora/gpu-backend';
import { type ClusterResult, findComponents } from '@hydralora/intrinsic-clustering';
import { type LlamaForCausalLM, loadPretrained, type Pretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from './config.js';
import {
  BatchStream,
  type InstructionRecord,
  readInstructionFile,
  type TextTokenizer,
  tokenizeExample,
} from './data.js';
import { type StepLog, trainLoop } from './loop.js';

export interface FinetuneHooks {
  resume?: boolean;
  stopAfterStep?: number;
  onStep?: (log: StepLog, total: number) => void;
  onInfo?: (message: string) => void;
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

/** The tokenizer of a loaded model, seen through the trainer's `TextTokenizer`. */
export function textTokenizer({ tokenizer }: Pretrained): TextTokenizer {
  const eos = tokenizer.eosTokenId;
  if (eos === undefined) throw new Error('the model tokenizer defines no eos_token (tokenizer_config.json)');
  return {
    encode: (t) => tokenizer.encode(t, { addSpecialTokens: false }),
    decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
    eosId: eos,
    padId: tokenizer.padTokenId ?? eos,
    ...(tokenizer.bosTokenId !== undefined ? { bosId: tokenizer.bosTokenId } : {}),
    applyChatTemplate: (messages, o) =>
      tokenizer.applyChatTemplate(messages, { addGenerationPrompt: o.addGenerationPrompt }),
  };
}

/** Named trainable variables of the active adapter: `<module>#<i>`, stable across processes. */
export function adapterParameters(adapter: AdapterModel): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [module, layer] of adapter.layers())
    layer.variables().forEach((v, i) => out.set(`${module}#${i}`, v));
  return out;
}

/** Text the clustering step sees for a record: the prompt without the template's markup. */
export function clusteringText(r: InstructionRecord): string {
  return r.prompt.replace(/###\s*(Instruction|Input|Response):/g, ' ');
}

export async function finetune(config: TrainConfig, hooks: FinetuneHooks = {}): Promise<FinetuneResult> {
  const info = hooks.onInfo ?? (() => {});
  const meter = await EnergyMeter.start();
  const t0 = performance.now();
  const pretrained = hooks.pretrained ?? (await loadPretrained(config.model));
  const model: LlamaForCausalLM = pretrained.model;
  const tokenizer = textTokenizer(pretrained);
  const records = readInstructionFile(config.data, { tokenizer });
  const known = [
    ...new Set(records.map((r) => r.component).filter((c): c is string => c !== undefined)),
  ].sort();
  const knownIndex = new Map(known.map((c, i) => [c, i]));
  info(
    `data: ${records.length} records${known.length ? `, ${known.length} known components (${known.join(', ')})` : ''}`,
  );

  let clustering: ClusterResult | undefined = hooks.clustering;
  let heads: number;
  if (config.heads === 'auto') {
    clustering ??= findComponents(records.map(clusteringText), {
      kMax: Math.min(config.kMax, records.length),
      seed: config.seed,
    });
    heads = clustering.k;
    info(`clustering: the SSE elbow picks N = ${heads} (K = 1..${clustering.ks.length})`);
  } else heads = config.heads;

  // Split routes each sample to its component's head: the cluster of the sample when the
  // clustering step ran (as the paper), else its known label. Other methods get the known labels
  // (used only for routing telemetry).
  let componentIds: Int32Array;
  if (config.method === 'split') {
    if (clustering && clustering.k === heads) componentIds = Int32Array.from(clustering.labels);
    else if (known.length === heads && records.every((r) => r.component !== undefined))
      componentIds = Int32Array.from(records.map((r) => knownIndex.get(r.component!)!));
    else
      throw new Error(
        `method 'split' needs a component per record: use --heads auto, or data with ${heads} known components (found ${known.length})`,
      );
  } else
    componentIds = Int32Array.from(
      records.map((r) => (r.component !== undefined ? knownIndex.get(r.component)! : -1)),
    );

  const examples = records.map((r, i) => ({
    ...tokenizeExample(r, tokenizer, config.maxLength),
    componentId: componentIds[i]!,
  }));
  const adapter = injectAdapters(model, {
    method: config.method,
    r: config.r,
    lora_alpha: config.alpha,
    lora_dropout: config.dropout,
    target_modules: config.targetModules,
    num_heads: heads,
    router: config.router,
    init_seed: Math.abs(config.seed),
    base_model_name_or_path: config.model,
    ...(config.auxLossWeight > 0
      ? { router_aux: { load_balance: config.auxLossWeight, importance: 0, z_loss: 0 } }
      : {}),
  });
  const counts = adapter.parameterCount();
  info(
    `adapter: ${config.method}, r=${config.r}, N=${heads}: ${counts.trainable} trainable parameters (${counts.percent.toFixed(3)}% of ${counts.base})`,
  );

  const params = adapterParameters(adapter);
  const steps =
    config.steps ??
    Math.max(
      1,
      Math.ceil((config.epochs * examples.length) / (config.microBatchSize * config.gradAccumSteps)),
    );
  const stream = new BatchStream(
    examples.map((e) => ({ inputIds: e.inputIds, labels: e.labels, component: String(e.componentId) })),
    config.microBatchSize,
    config.seed,
    tokenizer.padId,
    new Map(Array.from({ length: Math.max(heads, known.length) + 1 }, (_, i) => [String(i), i])),
  );
  const outDir = config.out;
  mkdirSync(outDir, { recursive: true });
  const run = await trainLoop({
    config: { ...config, steps },
    params,
    stream,
    outDir,
    resume: hooks.resume ?? false,
    fingerprint: {
      method: config.method,
      r: config.r,
      heads,
      targetModules: config.targetModules,
      data: path.resolve(config.data),
      model: path.resolve(config.model),
      seed: config.seed,
    },
    lossFn: (batch, position) => {
      const ids = Int32Array.from(batch.componentIds, (c) => (c < 0 ? -1 : c));
      const loss = model.loss(batch.inputIds, batch.labels, {
        attentionMask: batch.attentionMask,
        ...(ids.some((c) => c >= 0) ? { componentIds: ids } : {}),
        training: true,
        // Dropout masks depend only on (seed, step, micro-batch): a resumed run repeats them.
        dropoutSeed: (Math.abs(config.seed) * 1_000_003 + position.step * 101 + position.micro) % 2147483647,
      });
      const aux = adapter.auxLoss();
      return aux ? { loss: tf.add(loss, aux) as tf.Scalar, aux } : { loss };
    },
    ...(hooks.stopAfterStep !== undefined ? { stopAfterStep: hooks.stopAfterStep } : {}),
    onStep: (log) => hooks.onStep?.(log, steps),
  });

  const adapterDir = path.join(outDir, 'adapter');
  await saveAdapter(adapter, adapterDir);
  const seconds = (performance.now() - t0) / 1000;
  const energy = await meter.stop();
  const result: FinetuneResult = {
    outDir,
    adapterDir,
    method: config.method,
    heads,
    steps: run.steps,
    components: known,
    trainable: counts.trainable,
    basePercent: counts.percent,
    seconds,
    tokens: run.tokens,
    tokensPerSecond: run.tokens / Math.max(1e-9, run.seconds),
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
  const { adapter: _a, pretrained: _p, history: _h, ...summary } = result;
  writeFileSync(path.join(outDir, 'run.json'), `${JSON.stringify({ config, ...summary }, null, 2)}\n`);
  return result;
}
