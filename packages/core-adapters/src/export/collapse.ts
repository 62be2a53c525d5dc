/**
 * Collapse any adapter to a plain PEFT LoRA for a FIXED mixing ω over its heads (see LayerShape:
 * y = W₀x + s·Σᵢ ωᵢ·B_{b(i)}·A_{a(i)}·x). In PEFT's layout (A [r, in], B [out, r]):
 *
 * - LoRA (1 A, 1 B): unchanged.
 * - HydraLoRA (1 A, N B): rank r, A unchanged, B_eff = Σᵢ ωᵢ·Bᵢ — exact because A is shared.
 * - inverted asymmetry (N A, 1 B): rank r, A_eff = Σᵢ ωᵢ·Aᵢ, B unchanged — exact likewise.
 * - LoRA-MoE, LoRA-Split (N A, N B): rank K·r over the K heads with ωᵢ > 0, A_cat = the Aᵢ stacked
 *   by rows [K·r, in], B_cat = [ω₁B₁ | … | ω_K B_K] [out, K·r]; B_cat·A_cat = Σᵢ ωᵢ·Bᵢ·Aᵢ, exact.
 *   (Heads with ωᵢ = 0 add nothing, so `head:<i>` exports Split's component i at rank r.)
 *
 * PEFT scales B·A by lora_alpha/r (lora_alpha/√r with rsLoRA): when the rank grows K-fold,
 * lora_alpha (and every rank_pattern / alpha_pattern entry) grows with it so that each module's
 * scaling is unchanged. The result equals the adapter exactly wherever its router outputs that ω
 * (a uniform router with uniform ω, a sample routed to ω, a Split sample of component i); a
 * per-token router picks other ω's for other tokens, which no single LoRA can reproduce.
 */
import { join } from 'node:path';
import { routerRegistry } from '@hydralora/router';
import type { AdapterModel } from '../adapter-model.js';
import { type AdapterConfig, loraScaling } from '../config.js';
import {
  adapterFiles,
  adapterTensors,
  CONFIG_FILE,
  PEFT_PREFIX,
  peftConfigJson,
  readAdapterConfig,
  readAdapterWeights,
  writePeftFiles,
} from '../io/peft-files.js';
import type { HostTensor } from '../io/safetensors.js';
import type { LayerShape } from '../layer/shape.js';
import { loraMethod } from '../methods/lora/index.js';
import { type MethodRegistry, methodRegistry } from '../methods/registry.js';
import { patternValue } from '../targeting.js';
import { formatHeadWeights, type HeadWeightsSpec, parseHeadWeights } from './head-weights.js';

/** One module of a plain LoRA, in PEFT's layout. */
export interface PeftLoraModule {
  /** Module name, e.g. `model.layers.0.self_attn.q_proj`. */
  name: string;
  /** Rank and α of this module (rank_pattern / alpha_pattern applied). */
  r: number;
  alpha: number;
  /** What PEFT scales B·A by: α/r (α/√r with rsLoRA). */
  scaling: number;
  /** `lora_A.weight` [r, in]. */
  a: HostTensor;
  /** `lora_B.weight` [out, r]. */
  b: HostTensor;
}

/** How the source adapter chose ω, which decides when the collapsed LoRA equals it. */
export type SourceRouting = 'none' | 'uniform' | 'token' | 'sample' | 'component';

/** A plain PEFT LoRA (what `savePeftLora` writes) and where it came from. */
export interface PeftLora {
  /** `adapter_config.json`: PEFT's LoraConfig keys only, `peft_type` LORA. */
  config: Record<string, unknown>;
  /** `adapter_model.safetensors`: `base_model.model.<module>.lora_{A,B}.weight` per module. */
  tensors: Record<string, HostTensor>;
  modules: PeftLoraModule[];
  /** The source adapter's method, number of heads, routing and the ω it was collapsed with. */
  source: {
    method: string;
    numHeads: number;
    router: string | null;
    routing: SourceRouting;
    weights: number[];
  };
  /** Rank and α multiplier (K, and K or √K for α) applied to every module. */
  rankFactor: number;
  /**
   * Null when the LoRA equals the adapter for every input; otherwise one line saying for which
   * inputs it does (the ω was fixed but the adapter's router chooses per token, sample or component).
   */
  note: string | null;
}

export interface CollapseOptions {
  /**
   * ω over the heads. Default: [1] for LoRA, uniform for the `uniform` router; required for any
   * other routed adapter (its ω changes with the input).
   */
  weights?: HeadWeightsSpec;
  /** How errors name the weights (default `weights`; the CLI passes `--weights`). */
  weightsField?: string;
  /** Which adapter of a live AdapterModel (default: the active one). */
  adapter?: string;
  /** Warnings while reading a saved adapter's config (unknown keys); default console.warn. */
  onWarning?: (message: string) => void;
  registry?: MethodRegistry;
}

/** An adapter as config + PEFT-named host tensors, from a directory or a live model. */
interface AdapterFiles {
  config: AdapterConfig;
  tensors: Record<string, HostTensor>;
  /** Names the tensors in errors (the weights file, or the live adapter). */
  source: string;
  /** Names the config in errors (adapter_config.json, or the live adapter). */
  configSource: string;
}

async function readAdapterFiles(dir: string, options: CollapseOptions): Promise<AdapterFiles> {
  const config = await readAdapterConfig(dir, {
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const method = (options.registry ?? methodRegistry).get(config.method, join(dir, CONFIG_FILE));
  const { tensors, file } = await readAdapterWeights(dir, adapterFiles(method).weights);
  return {
    config,
    tensors,
    source: file,
    configSource: join(dir, CONFIG_FILE),
  };
}

/**
 * Collapse an adapter — a saved directory, a live AdapterModel, or a model carrying one — to a
 * plain PEFT LoRA for a fixed ω. Reads tensors to the host; leaves no tensors behind.
 */
export async function collapseAdapter(
  adapter: string | AdapterModel,
  options: CollapseOptions = {},
): Promise<PeftLora> {
  if (typeof adapter === 'string') return collapseFiles(await readAdapterFiles(adapter, options), options);
  const name = options.adapter ?? adapter.activeAdapter;
  if (name === null) throw new Error('collapseAdapter: no adapter is active on this model');
  return collapseFiles(
    {
      config: adapter.config(name),
      tensors: adapterTensors(adapter, name),
      source: `adapter '${name}'`,
      configSource: `adapter '${name}'`,
    },
    options,
  );
}

/** Write a collapsed LoRA as `adapter_config.json` + `adapter_model.safetensors` (each atomically). */
export async function savePeftLora(lora: PeftLora, dir: string): Promise<void> {
  await writePeftFiles(dir, lora.config, lora.tensors);
}

/** `collapseAdapter` then `savePeftLora` into `outDir`; returns what was written. */
export async function exportPeftLora(
  adapter: string | AdapterModel,
  outDir: string,
  options: CollapseOptions = {},
): Promise<PeftLora> {
  const lora = await collapseAdapter(adapter, options);
  await savePeftLora(lora, outDir);
  return lora;
}

function routingOf(config: AdapterConfig, shape: LayerShape): SourceRouting {
  if (shape.weighting === 'none' || shape.numHeads === 1) return 'none';
  if (shape.weighting === 'component') return 'component';
  const strategy = routerRegistry.get(config.router);
  if (strategy.constantWeights) return 'uniform';
  return strategy.granularity;
}

function defaultWeights(
  files: AdapterFiles,
  shape: LayerShape,
  routing: SourceRouting,
  field: string,
): number[] {
  const n = shape.numHeads;
  if (routing === 'none') return new Array<number>(n).fill(1 / n);
  if (routing === 'uniform') return new Array<number>(n).fill(1 / n);
  const how =
    routing === 'component'
      ? `LoRA-Split picks one of its ${n} components per sample; pass ${field} head:<i> for component i`
      : `its router '${files.config.router}' chooses ω per ${routing}; pass ${field} uniform, head:<i> or ` +
        `${n} numbers summing to 1 (the export equals the adapter only where the router outputs that ω)`;
  throw new Error(
    `${files.configSource}: ${field} is required: method '${files.config.method}' has ${n} heads and ${how}`,
  );
}

function noteFor(config: AdapterConfig, routing: SourceRouting, weights: number[]): string | null {
  const n = weights.length;
  const omega = formatHeadWeights(weights);
  switch (routing) {
    case 'none':
      return null;
    case 'uniform':
      return weights.every((w) => Math.abs(w - 1 / n) <= 1e-12)
        ? null
        : `the adapter's router is uniform (ω = 1/${n} for every token) but the export uses ω = ${omega}, so it differs from the adapter`;
    case 'component': {
      const one = weights.indexOf(1);
      return one >= 0
        ? `LoRA-Split routes each sample to one component: the export equals the adapter for samples of component ${one} only`
        : `LoRA-Split routes each sample to one component: ω = ${omega} mixes components, which the adapter never does`;
    }
    case 'token':
      return `router '${config.router}' chooses ω per token: the export is exact only where it outputs ω = ${omega}`;
    case 'sample':
      return `router '${config.router}' chooses ω per sample: the export is exact only for samples routed to ω = ${omega}`;
  }
}

/** The per-module groups of PEFT tensor names: `<module>.lora_A[.i].weight`, `lora_B…`, `lora_route…`. */
const TENSOR_KEY = /^(.+)\.(lora_A|lora_B|lora_route)(?:\.(\d+))?\.weight$/;

interface ModuleTensors {
  lora_A: Map<number, HostTensor>;
  lora_B: Map<number, HostTensor>;
}

function groupByModule(files: AdapterFiles): Map<string, ModuleTensors> {
  const modules = new Map<string, ModuleTensors>();
  const unknown: string[] = [];
  for (const [key, tensor] of Object.entries(files.tensors)) {
    const match = key.startsWith(PEFT_PREFIX) ? TENSOR_KEY.exec(key.slice(PEFT_PREFIX.length)) : null;
    if (!match) {
      unknown.push(key);
      continue;
    }
    const [, module, kind, index] = match as unknown as [string, string, string, string | undefined];
    if (kind === 'lora_route') continue; // the gate: a fixed ω replaces it
    const entry = modules.get(module) ?? { lora_A: new Map(), lora_B: new Map() };
    entry[kind as 'lora_A' | 'lora_B'].set(index === undefined ? -1 : Number(index), tensor);
    modules.set(module, entry);
  }
  if (unknown.length > 0) {
    throw new Error(
      `${files.source}: tensors that are not ${PEFT_PREFIX}<module>.lora_{A,B,route}[.<i>].weight: ${unknown.join(', ')}`,
    );
  }
  if (modules.size === 0) throw new Error(`${files.source}: the adapter holds no lora_A/lora_B tensors`);
  return modules;
}

/** Σᵢ ωᵢ·tᵢ over same-shape tensors (float64 sums, stored as float32). */
function weightedSum(parts: HostTensor[], weights: number[]): HostTensor {
  const first = parts[0] as HostTensor;
  const sum = new Float64Array(first.data.length);
  parts.forEach((t, i) => {
    const w = weights[i] ?? 0;
    if (w !== 0) for (let j = 0; j < sum.length; j++) sum[j] = (sum[j] ?? 0) + w * (t.data[j] ?? 0);
  });
  return { shape: [...first.shape], data: Float32Array.from(sum) };
}

/** A_cat: the chosen [r, in] heads stacked by rows. */
function stackRows(parts: HostTensor[]): HostTensor {
  const [r, cols] = (parts[0] as HostTensor).shape as [number, number];
  const data = new Float32Array(parts.length * r * cols);
  parts.forEach((t, k) => data.set(t.data, k * r * cols));
  return { shape: [parts.length * r, cols], data };
}

/** B_cat = [ω₁B₁ | … | ω_K B_K]: the chosen [out, r] heads side by side, each scaled by its ω. */
function scaledColumns(parts: HostTensor[], weights: number[]): HostTensor {
  const [out, r] = (parts[0] as HostTensor).shape as [number, number];
  const width = parts.length * r;
  const data = new Float32Array(out * width);
  parts.forEach((t, k) => {
    const w = weights[k] ?? 0;
    for (let o = 0; o < out; o++)
      for (let j = 0; j < r; j++) data[o * width + k * r + j] = w * (t.data[o * r + j] ?? 0);
  });
  return { shape: [out, width], data };
}

function collapseFiles(files: AdapterFiles, options: CollapseOptions): PeftLora {
  const { config } = files;
  const field = options.weightsField ?? 'weights';
  const method = (options.registry ?? methodRegistry).get(config.method, files.configSource);
  if (method.virtualTokens) {
    throw new Error(
      `${files.configSource}: method '${method.name}' adds virtual tokens and has no weight update to export as a LoRA (its files are already PEFT's ${method.peftType} layout)`,
    );
  }
  if (method.createLayer || method.wholeModel) {
    throw new Error(
      `${files.configSource}: method '${method.name}' is not a B·A update; only the LoRA family collapses to a PEFT LoRA (merge it into the base weights instead)`,
    );
  }
  const shape = method.shape(config);
  const n = shape.numHeads;
  for (const [what, count] of [
    ['A', shape.numA],
    ['B', shape.numB],
  ] as const) {
    if (count !== 1 && count !== n)
      throw new Error(
        `${files.source}: method '${method.name}' has ${count} ${what} matrices for ${n} heads; only 1 or ${n} can be collapsed`,
      );
  }
  const routing = routingOf(config, shape);
  const weights =
    options.weights === undefined
      ? defaultWeights(files, shape, routing, field)
      : parseHeadWeights(options.weights, n, field);
  // LoRA-MoE / Split: only heads with ω > 0 enter A_cat and B_cat.
  const stacked = shape.numA > 1 && shape.numB > 1;
  const kept = stacked ? weights.flatMap((w, i) => (w > 0 ? [i] : [])) : [];
  const rankFactor = stacked ? kept.length : 1;
  const alphaFactor = config.use_rslora ? Math.sqrt(rankFactor) : rankFactor;

  const missing: string[] = [];
  const wrong: string[] = [];
  const modules: PeftLoraModule[] = [];
  for (const [name, found] of groupByModule(files)) {
    const key = (kind: string, i: number) => `${PEFT_PREFIX}${name}.${kind}${i < 0 ? '' : `.${i}`}.weight`;
    const heads = (kind: 'lora_A' | 'lora_B', count: number): HostTensor[] => {
      const indices = count === 1 ? [-1] : Array.from({ length: count }, (_, i) => i);
      const extra = [...found[kind].keys()].filter((i) => !indices.includes(i));
      for (const i of extra) wrong.push(`${key(kind, i)} is not a tensor of method '${method.name}'`);
      return indices.flatMap((i) => {
        const t = found[kind].get(i);
        if (!t) missing.push(key(kind, i));
        return t ? [t] : [];
      });
    };
    const as = heads('lora_A', shape.numA);
    const bs = heads('lora_B', shape.numB);
    if (as.length !== shape.numA || bs.length !== shape.numB) continue;
    const r = patternValue(name, config.rank_pattern, files.source, 'rank_pattern') ?? config.r;
    const alpha =
      patternValue(name, config.alpha_pattern, files.source, 'alpha_pattern') ?? config.lora_alpha;
    const inF = as[0]?.shape[1] as number;
    const outF = bs[0]?.shape[0] as number;
    const bad = [
      ...as.map((t, i) => [t, [r, inF], key('lora_A', shape.numA === 1 ? -1 : i)] as const),
      ...bs.map((t, i) => [t, [outF, r], key('lora_B', shape.numB === 1 ? -1 : i)] as const),
    ].filter(([t, expected]) => t.shape.join(',') !== expected.join(','));
    for (const [t, expected, k] of bad) wrong.push(`${k} is [${t.shape}], expected [${expected}] (r = ${r})`);
    if (bad.length > 0) continue;
    let a: HostTensor;
    let b: HostTensor;
    if (stacked) {
      a = stackRows(kept.map((i) => as[i] as HostTensor));
      b = scaledColumns(
        kept.map((i) => bs[i] as HostTensor),
        kept.map((i) => weights[i] as number),
      );
    } else {
      a = shape.numA === 1 ? (as[0] as HostTensor) : weightedSum(as, weights);
      b = shape.numB === 1 ? (bs[0] as HostTensor) : weightedSum(bs, weights);
    }
    const moduleR = r * rankFactor;
    const moduleAlpha = alpha * alphaFactor;
    modules.push({
      name,
      r: moduleR,
      alpha: moduleAlpha,
      scaling: loraScaling(moduleAlpha, moduleR, config.use_rslora),
      a: { shape: [...a.shape], data: Float32Array.from(a.data) },
      b: { shape: [...b.shape], data: Float32Array.from(b.data) },
    });
  }
  if (missing.length > 0 || wrong.length > 0) {
    throw new Error(
      `${files.source}: ${missing.length ? `missing tensors: ${missing.join(', ')}` : ''}` +
        `${missing.length && wrong.length ? '; ' : ''}${wrong.length ? `wrong tensors: ${wrong.join('; ')}` : ''}`,
    );
  }
  const scale = <T extends number>(patterns: Record<string, T>, factor: number) =>
    Object.fromEntries(Object.entries(patterns).map(([k, v]) => [k, v * factor]));
  const loraConfig: AdapterConfig = {
    ...config,
    method: loraMethod.name,
    r: config.r * rankFactor,
    lora_alpha: config.lora_alpha * alphaFactor,
    rank_pattern: scale(config.rank_pattern, rankFactor),
    alpha_pattern: scale(config.alpha_pattern, alphaFactor),
  };
  const tensors: Record<string, HostTensor> = {};
  for (const m of modules) {
    tensors[`${PEFT_PREFIX}${m.name}.lora_A.weight`] = m.a;
    tensors[`${PEFT_PREFIX}${m.name}.lora_B.weight`] = m.b;
  }
  return {
    config: peftConfigJson(loraConfig, loraMethod),
    tensors,
    modules,
    source: {
      method: method.name,
      numHeads: n,
      router: routing === 'none' || routing === 'component' ? null : config.router,
      routing,
      weights,
    },
    rankFactor,
    note: noteFor(config, routing, weights),
  };
}
