/**
 * LoraHub (Huang et al., 2023): compose K trained LoRA adapters into one, with the weights found by
 * gradient-free optimisation of the loss on a few examples of a new task. The composition is
 * element-wise over the adapters' tensors, as the paper's code does: A = Σᵢ wᵢ·Aᵢ and
 * B = Σᵢ wᵢ·Bᵢ for every adapted module (so the update is (Σ wᵢBᵢ)(Σ wᵢAᵢ), not Σ wᵢBᵢAᵢ); the
 * objective is the mean target-token cross-entropy on the examples plus `l1`·Σ|wᵢ|, minimised
 * within [−1.5, 1.5]ᴷ from w = 0 with a budget of `maxEvaluations` loss evaluations (the paper:
 * nevergrad, 40 steps, L1 0.05). The optimiser is NLopt's (through `nlopt-js`, a WebAssembly build of
 * NLopt): Nelder–Mead by default, or any of its derivative-free `LN_*` algorithms.
 *
 * The result is a plain LoRA adapter (peft_type LORA): it is saved, loaded and merged as any.
 */
import {
  type AdapterConfig,
  AdapterModel,
  assignAdapterTensors,
  type HostTensor,
  loadAdapterTensors,
  readAdapterConfig,
  readAdapterWeights,
} from '@hydralora/core-adapters';
import type { Pretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import nlopt from 'nlopt-js';
import { type Batch, collate, type InstructionRecord, tokenizeExample } from './data.js';
import { textTokenizer } from './tokenizer.js';

/** The derivative-free NLopt algorithms LoraHub can use. */
export const LORAHUB_ALGORITHMS = [
  'LN_NELDERMEAD',
  'LN_SBPLX',
  'LN_COBYLA',
  'LN_BOBYQA',
  'LN_PRAXIS',
] as const;
export type LoraHubAlgorithm = (typeof LORAHUB_ALGORITHMS)[number];

export interface LoraHubOptions {
  /** Directories of the K LoRA adapters (PEFT layout), all with the same rank, α and modules. */
  adapters: readonly string[];
  /** The few examples of the new task the weights are fitted on (the paper: 5 or 20). */
  examples: readonly InstructionRecord[];
  /** Loss evaluations allowed (default 40, the paper's budget). */
  maxEvaluations?: number;
  /** L1 coefficient on the weights (default 0.05, the paper's). */
  l1?: number;
  /** Each weight stays within [−bound, bound] (default 1.5, the paper's). */
  bound?: number;
  /** NLopt algorithm (default LN_NELDERMEAD). */
  algorithm?: LoraHubAlgorithm;
  /** Token budget per example (default 256). */
  maxLength?: number;
  /** Examples per forward pass (default 8). */
  batchSize?: number;
  /** Name of the composed adapter on the model (default `lorahub`). */
  adapterName?: string;
  /** Called after every evaluation. */
  onEvaluation?: (evaluation: LoraHubEvaluation) => void;
}

export interface LoraHubEvaluation {
  /** 1-based. */
  index: number;
  weights: number[];
  /** Mean target-token cross-entropy on the examples. */
  loss: number;
  /** loss + l1·Σ|w|. */
  objective: number;
}

export interface LoraHubResult {
  /** The composed adapter, active on the model (a LoRA: save it with `saveAdapter`). */
  adapter: AdapterModel;
  /** The best weights found, one per input adapter, in input order. */
  weights: number[];
  loss: number;
  objective: number;
  /** Every evaluation, in order. */
  history: LoraHubEvaluation[];
  /** The loss with every weight 1/K (the plain average), for reference. */
  averageLoss: number;
}

interface SourceAdapter {
  dir: string;
  config: AdapterConfig;
  tensors: Record<string, HostTensor>;
}

/** Read and check the K adapters: LoRA, the same r, α, target modules and tensor shapes. */
export async function readLoraHubAdapters(dirs: readonly string[]): Promise<SourceAdapter[]> {
  if (dirs.length < 2) throw new Error(`lorahub: needs at least 2 adapters, got ${dirs.length}`);
  const out: SourceAdapter[] = [];
  for (const dir of dirs) {
    const config = await readAdapterConfig(dir, { onWarning: () => {} });
    if (config.method !== 'lora')
      throw new Error(
        `${dir}/adapter_config.json: field 'method' = "${config.method}"; LoraHub composes LoRA adapters`,
      );
    const { tensors } = await readAdapterWeights(dir);
    out.push({ dir, config, tensors });
  }
  const first = out[0]!;
  const keys = Object.keys(first.tensors).sort();
  for (const a of out.slice(1)) {
    for (const field of ['r', 'lora_alpha'] as const) {
      if (a.config[field] !== first.config[field])
        throw new Error(
          `${a.dir}/adapter_config.json: field '${field}' = ${a.config[field]}, but ${first.dir} has ${first.config[field]}; LoraHub needs equal adapters`,
        );
    }
    const other = Object.keys(a.tensors).sort();
    const missing = keys.filter((k) => !(k in a.tensors));
    const extra = other.filter((k) => !(k in first.tensors));
    if (missing.length || extra.length)
      throw new Error(
        `${a.dir}/adapter_model.safetensors: the tensors differ from ${first.dir}'s (${missing.length ? `missing ${missing.slice(0, 3).join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `extra ${extra.slice(0, 3).join(', ')}` : ''})`,
      );
    for (const k of keys) {
      if (a.tensors[k]!.shape.join(',') !== first.tensors[k]!.shape.join(','))
        throw new Error(
          `${a.dir}/adapter_model.safetensors: tensor '${k}' is [${a.tensors[k]!.shape}], but [${first.tensors[k]!.shape}] in ${first.dir}`,
        );
    }
  }
  return out;
}

/** Σᵢ wᵢ·tensorsᵢ[key] for every key (the LoraHub composition), in float64 then float32. */
export function composeLoraTensors(
  sources: readonly Record<string, HostTensor>[],
  weights: readonly number[],
): Record<string, HostTensor> {
  if (sources.length !== weights.length)
    throw new Error(`composeLoraTensors: ${sources.length} adapters but ${weights.length} weights`);
  const out: Record<string, HostTensor> = {};
  for (const key of Object.keys(sources[0]!)) {
    const { shape, data } = sources[0]![key]!;
    const acc = new Float64Array(data.length);
    sources.forEach((s, i) => {
      const d = s[key]!.data;
      const w = weights[i]!;
      for (let j = 0; j < acc.length; j++) acc[j]! += w * d[j]!;
    });
    out[key] = { shape: [...shape], data: Float32Array.from(acc) };
  }
  return out;
}

/**
 * Fit LoraHub's weights for `pretrained.model` on `options.examples` and leave the composed adapter
 * active on the model. Deterministic for the same inputs (NLopt's local algorithms use no randomness
 * here).
 */
export async function loraHub(pretrained: Pretrained, options: LoraHubOptions): Promise<LoraHubResult> {
  const maxEvaluations = options.maxEvaluations ?? 40;
  const l1 = options.l1 ?? 0.05;
  const bound = options.bound ?? 1.5;
  const algorithm = options.algorithm ?? 'LN_NELDERMEAD';
  const name = options.adapterName ?? 'lorahub';
  if (!Number.isInteger(maxEvaluations) || maxEvaluations < 1)
    throw new Error(`lorahub: maxEvaluations = ${maxEvaluations}, expected an integer ≥ 1`);
  if (!(l1 >= 0)) throw new Error(`lorahub: l1 = ${l1}, expected ≥ 0`);
  if (!(bound > 0)) throw new Error(`lorahub: bound = ${bound}, expected > 0`);
  if (!LORAHUB_ALGORITHMS.includes(algorithm))
    throw new Error(`lorahub: algorithm = "${algorithm}", expected one of ${LORAHUB_ALGORITHMS.join(', ')}`);
  if (options.examples.length === 0) throw new Error('lorahub: no examples to fit the weights on');
  const sources = await readLoraHubAdapters(options.adapters);
  const k = sources.length;

  const tokenizer = textTokenizer(pretrained);
  const maxLength = options.maxLength ?? 256;
  const batchSize = options.batchSize ?? 8;
  const tokenized = options.examples.map((r) => tokenizeExample(r, tokenizer, maxLength));
  const batches: Batch[] = [];
  for (let i = 0; i < tokenized.length; i += batchSize)
    batches.push(collate(tokenized.slice(i, i + batchSize), tokenizer.padId));
  const targetTokens = batches.reduce((s, b) => s + b.targetTokens, 0);
  if (targetTokens === 0) throw new Error('lorahub: the examples have no target tokens');

  const model = pretrained.model;
  const handle = AdapterModel.of(model);
  const config = sources[0]!.config;
  const source = `lorahub (${sources[0]!.dir}/adapter_config.json)`;
  const compose = (weights: readonly number[]) =>
    composeLoraTensors(
      sources.map((s) => s.tensors),
      weights,
    );
  // The composed adapter is injected once; every later evaluation assigns its tensors to the
  // same variables (no layer is built or freed per evaluation).
  let injected = false;
  const install = (weights: readonly number[]) => {
    if (!injected) {
      if (handle.adapterNames.includes(name)) handle.deleteAdapter(name);
      loadAdapterTensors(model, config, compose(weights), { adapter: name, source, weightsFile: source });
      injected = true;
    } else assignAdapterTensors(handle, name, compose(weights), { weightsFile: source });
    handle.setActiveAdapter(name);
  };
  const lossOf = (weights: readonly number[]): number => {
    install(weights);
    let sum = 0;
    for (const b of batches) {
      // model.loss is the mean over this batch's target tokens: weight it by their count
      const l = tf.tidy(() => model.loss(b.inputIds, b.labels, { attentionMask: b.attentionMask }));
      sum += l.dataSync()[0]! * b.targetTokens;
      l.dispose();
    }
    return sum / targetTokens;
  };

  const history: LoraHubEvaluation[] = [];
  const evaluate = (w: readonly number[]): number => {
    const weights = Array.from(w, (x) => Math.min(bound, Math.max(-bound, x)));
    const loss = lossOf(weights);
    const objective = loss + l1 * weights.reduce((s, x) => s + Math.abs(x), 0);
    const e = { index: history.length + 1, weights, loss, objective };
    history.push(e);
    options.onEvaluation?.(e);
    return Number.isFinite(objective) ? objective : Number.MAX_VALUE;
  };

  await nlopt.ready;
  try {
    const opt = new nlopt.Optimize(nlopt.Algorithm[algorithm], k);
    opt.setMinObjective((x: number[]) => evaluate(x), 1e-6);
    opt.setLowerBounds(Array(k).fill(-bound));
    opt.setUpperBounds(Array(k).fill(bound));
    opt.setMaxeval(maxEvaluations);
    opt.optimize(Array(k).fill(0));
  } finally {
    nlopt.GC.flush();
  }
  const best = history.reduce((a, b) => (b.objective < a.objective ? b : a));
  const averageLoss = lossOf(Array(k).fill(1 / k));
  install(best.weights);
  return {
    adapter: handle,
    weights: best.weights,
    loss: best.loss,
    objective: best.objective,
    history,
    averageLoss,
  };
}
