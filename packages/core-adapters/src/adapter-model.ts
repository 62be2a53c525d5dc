/**
 * Model surgery: inject named adapters into a model's linear layers, switch, enable, merge,
 * count. One AdapterModel exists per model (several named adapters live on it).
 */
import type { Router, RoutingSnapshot } from '@hydralora/router';
import type * as tf from '@tensorflow/tfjs-core';
import { type ParameterReport, sizeWarnings } from './accounting.js';
import { type AdapterConfig, type AdapterConfigInput, parseAdapterConfig } from './config.js';
import { AdapterLayer, type ComponentInferrer } from './layer/adapter-layer.js';
import type { ModuleLayer, WholeModelModule } from './layer/module-layer.js';
import { type MethodRegistry, methodRegistry } from './methods/registry.js';
import type { AdapterMethod, CheckpointStateContext, MethodCheckpointState } from './methods/types.js';
import type { AdaptableModel } from './model-types.js';
import type { VirtualTokenModule } from './prompt/module.js';
import { AdapterSlot } from './slot.js';
import { resolveTargets } from './targeting.js';

/** How to merge: fixed mixing weights ω (length N) or, for split, a component. */
export interface MergeOptions {
  /** ω per head; default [1] for LoRA, 1/N for the uniform router; required otherwise. */
  weights?: number[];
  /** LoRA-Split: the component whose LoRA is merged (same as one-hot weights). */
  component?: number;
}

export interface InjectOptions {
  /** Method registry (default: the shared one). */
  registry?: MethodRegistry;
  /** Where the config came from, for error messages. */
  source?: string;
  /** Told about absurd sizes (`ParameterReport.warnings`); default `console.warn`. */
  onWarning?: (message: string) => void;
  /** Text → token ids: prompt tuning's TEXT initialisation needs it. */
  tokenize?: (text: string) => number[];
  /** The adapter is built to receive saved tensors (initialisation that needs more is skipped). */
  loading?: boolean;
}

/** Name of the prompt-learning module in parameter reports and named variables (PEFT's attribute). */
export const PROMPT_ENCODER = 'prompt_encoder';

const handles = new WeakMap<AdaptableModel, AdapterModel>();

export class AdapterModel {
  readonly slots = new Map<string, AdapterSlot>();
  private readonly configs = new Map<string, AdapterConfig>();
  /** Each adapter's method, as resolved when it was added (whichever registry it came from). */
  private readonly methods = new Map<string, AdapterMethod>();
  /** Whole-model adapters (full fine-tuning): at most one, and then the only adapter. */
  private readonly whole = new Map<string, WholeModelModule>();
  /** Prompt-learning adapters' virtual-token modules (they adapt no linear). */
  private readonly virtual = new Map<string, VirtualTokenModule>();
  private virtualEnabled = true;
  private activeName: string | null = null;

  private constructor(readonly model: AdaptableModel) {}

  /** The handle of a model (created on first use). */
  static of(model: AdaptableModel): AdapterModel {
    let handle = handles.get(model);
    if (!handle) {
      handle = new AdapterModel(model);
      handles.set(model, handle);
    }
    return handle;
  }

  /** Names of the adapters on the model, in insertion order. */
  get adapterNames(): string[] {
    return [...this.configs.keys()];
  }

  get activeAdapter(): string | null {
    return this.activeName;
  }

  /** The validated config of an adapter. */
  config(name = this.requireActive()): AdapterConfig {
    const config = this.configs.get(name);
    if (!config)
      throw new Error(
        `adapter '${name}' does not exist; adapters: ${this.adapterNames.join(', ') || 'none'}`,
      );
    return config;
  }

  /** Add an adapter and make it active. */
  add(name: string, input: AdapterConfigInput | AdapterConfig, options: InjectOptions = {}): this {
    const source = options.source ?? 'adapter config';
    if (this.configs.has(name))
      throw new Error(`${source}: an adapter named '${name}' already exists on this model`);
    const config = parseAdapterConfig(input, source);
    const method = (options.registry ?? methodRegistry).get(config.method, source);
    this.methods.set(name, method);
    const existing = [...this.whole.keys()][0];
    if (existing !== undefined) {
      throw new Error(
        `${source}: adapter '${existing}' fine-tunes the whole model; it cannot share the model with adapter '${name}'`,
      );
    }
    if (method.wholeModel) {
      if (this.configs.size > 0) {
        throw new Error(
          `${source}: method '${method.name}' trains the model's own weights; remove the adapters on it first (${this.adapterNames.join(', ')})`,
        );
      }
      this.whole.set(name, method.wholeModel.create(this.model, config, source));
      this.configs.set(name, config);
      this.activeName = name;
      return this;
    }
    if (method.virtualTokens) {
      const { setVirtualTokens, virtualTokenGeometry } = this.model;
      if (!setVirtualTokens || !virtualTokenGeometry) {
        throw new Error(
          `${source}: method '${method.name}' adds virtual tokens, but the model has no virtual-token hook (setVirtualTokens, virtualTokenGeometry)`,
        );
      }
      const module = method.virtualTokens.create(config, {
        geometry: virtualTokenGeometry.call(this.model),
        ...(this.model.embedTokens ? { embedTokens: this.model.embedTokens } : {}),
        ...(options.tokenize ? { tokenize: options.tokenize } : {}),
        loading: options.loading ?? false,
        source,
      });
      this.virtual.set(name, module);
      this.configs.set(name, config);
      this.setActiveAdapter(name);
      return this;
    }
    const shape = method.shape(config);
    const linears = this.model.namedLinears();
    const targets = resolveTargets([...linears.keys()], config, {
      outputHead: this.model.outputHeadName,
      source,
    });
    for (const target of targets) {
      const linear = linears.get(target.name)!;
      let slot = this.slots.get(target.name);
      if (!slot) {
        slot = new AdapterSlot(linear);
        this.slots.set(target.name, slot);
        linear.setAdapter(slot);
      }
      if (slot.merged) throw new Error(`${target.name}: unmerge before adding adapter '${name}'`);
      slot.layers.set(
        name,
        method.createLayer
          ? method.createLayer({ linear, adapterName: name, config, target, source })
          : new AdapterLayer({ linear, adapterName: name, config, shape, r: target.r, alpha: target.alpha }),
      );
    }
    this.configs.set(name, config);
    this.setActiveAdapter(name);
    for (const warning of this.parameterCount(name).warnings) {
      (options.onWarning ?? ((m: string) => console.warn(`warning: ${m}`)))(warning);
    }
    return this;
  }

  /** Make one adapter the one every module runs (modules it does not target run their base). */
  setActiveAdapter(name: string): void {
    this.config(name);
    for (const slot of this.slots.values()) {
      if (slot.merged)
        throw new Error(`${slot.linear.name}: unmerge adapter '${slot.merged.adapter}' before switching`);
    }
    for (const slot of this.slots.values()) slot.active = slot.layers.has(name) ? name : null;
    this.activeName = name;
    this.installVirtualTokens();
  }

  /** The virtual-token module of a prompt-learning adapter (undefined for other methods). */
  virtualTokens(name = this.requireActive()): VirtualTokenModule | undefined {
    this.config(name);
    return this.virtual.get(name);
  }

  /** Give the model the active adapter's virtual tokens (none when disabled or not prompt learning). */
  private installVirtualTokens(): void {
    const module = this.activeName === null ? undefined : this.virtual.get(this.activeName);
    if (this.model.setVirtualTokens && (module || this.virtual.size > 0))
      this.model.setVirtualTokens((this.virtualEnabled && module) || null);
  }

  /**
   * The active adapter's B·A layers by module name (or another adapter's): the LoRA family's
   * {@link AdapterLayer}s. Throws for methods of another kind ((IA)³, full): see {@link moduleLayers}.
   */
  layers(name = this.requireActive()): Map<string, AdapterLayer> {
    const out = new Map<string, AdapterLayer>();
    for (const [module, layer] of this.moduleLayers(name)) {
      if (!(layer instanceof AdapterLayer)) {
        throw new Error(
          `adapter '${name}' (method '${this.config(name).method}') has no B·A layers; use moduleLayers()`,
        );
      }
      out.set(module, layer);
    }
    if (this.whole.has(name))
      throw new Error(`adapter '${name}' (method '${this.config(name).method}') adapts no linear layer`);
    return out;
  }

  /** The layers of an adapter by module name, whatever its method (none for whole-model methods). */
  moduleLayers(name = this.requireActive()): Map<string, ModuleLayer> {
    this.config(name);
    const out = new Map<string, ModuleLayer>();
    for (const [module, slot] of this.slots) {
      const layer = slot.layers.get(name);
      if (layer) out.set(module, layer);
    }
    return out;
  }

  /** The module of a whole-model adapter (full fine-tuning); undefined for per-linear methods. */
  wholeModel(name = this.requireActive()): WholeModelModule | undefined {
    this.config(name);
    return this.whole.get(name);
  }

  /** Run the base model only (PEFT's disable_adapter). */
  disable(): void {
    const whole = [...this.whole.keys()][0];
    if (whole !== undefined) {
      throw new Error(
        `adapter '${whole}' (full fine-tuning) trains the base weights in place: there is no base model to fall back to (load it again)`,
      );
    }
    for (const slot of this.slots.values()) {
      if (slot.merged) throw new Error(`${slot.linear.name}: unmerge before disabling adapters`);
      slot.enabled = false;
    }
    this.virtualEnabled = false;
    this.installVirtualTokens();
  }

  enable(): void {
    for (const slot of this.slots.values()) slot.enabled = true;
    this.virtualEnabled = true;
    this.installVirtualTokens();
  }

  get enabled(): boolean {
    return this.virtualEnabled && [...this.slots.values()].every((s) => s.enabled);
  }

  /** Whether the active adapter is merged into the base weights. */
  get merged(): boolean {
    return [...this.slots.values()].some((s) => s.merged);
  }

  /**
   * Add the active adapter's ΔW = s·Σᵢ ωᵢ·A_{a(i)}·B_{b(i)} into each base weight (W ← W + ΔW).
   * Exact for LoRA and for a split component; for routed methods the ω given here is fixed for
   * every token (use AdapterLayer.sampleWeights for a per-sample ω with the `sample` router).
   */
  merge(options: MergeOptions = {}): void {
    const name = this.requireActive();
    if (this.whole.has(name)) {
      throw new Error(
        `merge: adapter '${name}' (full fine-tuning) trains the base weights in place: there is nothing to merge`,
      );
    }
    if (this.virtual.has(name)) {
      throw new Error(
        `merge: adapter '${name}' (${this.config(name).method}) adds virtual tokens; it has no weight update to merge`,
      );
    }
    if (this.merged) throw new Error(`adapter '${name}' is already merged`);
    const plan = [...this.moduleLayers(name)].map(([module, layer]) => ({
      module,
      layer,
      weights: this.mergeWeights(layer, options, module),
    }));
    try {
      for (const step of plan) {
        const slot = this.slots.get(step.module)!;
        step.layer.merge(slot.linear, step.weights);
        slot.merged = { adapter: name, weights: step.weights };
      }
    } catch (error) {
      this.unmerge(); // a layer refused (e.g. an (IA)³ scale of 0): leave no module merged
      throw error;
    }
  }

  /** Undo what `merge` did. */
  unmerge(): void {
    for (const slot of this.slots.values()) {
      if (!slot.merged) continue;
      slot.layers.get(slot.merged.adapter)!.unmerge(slot.linear, slot.merged.weights);
      slot.merged = null;
    }
  }

  /** Trainable variables of an adapter (default: the active one): A's, B's and gates; l's; or every weight (full). */
  trainableVariables(name = this.requireActive()): tf.Variable[] {
    return [...this.namedVariables(name).values()];
  }

  /**
   * The trainable variables by stable name: `<module>#<i>` for each adapted linear, the model's
   * parameter names for a whole-model method (full fine-tuning), and `prompt_encoder#<i>` for a
   * prompt-learning adapter's table and encoder weights.
   */
  namedVariables(name = this.requireActive()): Map<string, tf.Variable> {
    const whole = this.wholeModel(name);
    if (whole) return whole.namedVariables();
    const out = new Map<string, tf.Variable>();
    for (const [module, layer] of this.moduleLayers(name))
      layer.variables().forEach((v, i) => out.set(`${module}#${i}`, v));
    this.virtual
      .get(name)
      ?.variables()
      .forEach((v, i) => out.set(`${PROMPT_ENCODER}#${i}`, v));
    return out;
  }

  /**
   * Tell the active adapter's method that an optimiser step was applied (once per step, after
   * the update, before the gradients are freed): AdaLoRA reallocates its ranks here; other
   * methods do nothing. `grads` are keyed as {@link namedVariables}.
   */
  afterStep(info: { grads: Map<string, tf.Tensor>; step: number; totalSteps?: number }): void {
    const name = this.requireActive();
    const config = this.config(name);
    this.methods.get(name)?.afterStep?.({
      adapterName: name,
      config,
      layers: this.moduleLayers(name),
      grads: info.grads,
      step: info.step,
      ...(info.totalSteps !== undefined ? { totalSteps: info.totalSteps } : {}),
      source: `adapter '${name}'`,
    });
  }

  /**
   * Whether the active adapter's method keeps training state outside its variables (AdaLoRA's
   * rank allocator), which a training checkpoint must hold for an exact resume.
   */
  keepsCheckpointState(name = this.requireActive()): boolean {
    this.config(name);
    return this.methods.get(name)?.checkpointState !== undefined;
  }

  /**
   * The active adapter's method state for a training checkpoint (see
   * {@link AdapterMethod.checkpointState}); undefined when the method keeps none.
   */
  checkpointState(name = this.requireActive()): MethodCheckpointState | undefined {
    return this.methods.get(name)?.checkpointState?.(this.stateContext(name, `adapter '${name}'`));
  }

  /**
   * Give the active adapter's method back the state of a checkpoint (after its variables were
   * restored). `source` (the checkpoint) names errors; `totalSteps` is the resumed run's.
   */
  restoreCheckpointState(
    state: MethodCheckpointState,
    info: { source: string; totalSteps?: number },
    name = this.requireActive(),
  ): void {
    const method = this.methods.get(name);
    if (!method?.restoreCheckpointState)
      throw new Error(
        `${info.source}: holds method state, but adapter '${name}' (method '${this.config(name).method}') keeps none`,
      );
    method.restoreCheckpointState(this.stateContext(name, info.source, info.totalSteps), state);
  }

  private stateContext(name: string, source: string, totalSteps?: number): CheckpointStateContext {
    return {
      adapterName: name,
      config: this.config(name),
      layers: this.moduleLayers(name),
      ...(totalSteps !== undefined ? { totalSteps } : {}),
      source,
    };
  }

  /** Trainable parameters per module and as % of the base model. */
  parameterCount(name = this.requireActive()): ParameterReport {
    const whole = this.wholeModel(name);
    const perModule = whole
      ? [...whole.namedVariables()].map(([module, v]) => ({ module, parameters: v.size }))
      : [...this.moduleLayers(name)].map(([module, layer]) => ({
          module,
          parameters: layer.parameterCount(),
        }));
    const virtual = this.virtual.get(name);
    if (virtual) perModule.push({ module: PROMPT_ENCODER, parameters: virtual.parameterCount() });
    const trainable = perModule.reduce((n, m) => n + m.parameters, 0);
    const base =
      this.model.numParameters?.() ??
      [...this.model.namedLinears().values()].reduce((n, l) => n + l.weight.size + (l.bias?.size ?? 0), 0);
    const report = { adapter: name, perModule, trainable, base, percent: (100 * trainable) / base };
    return { ...report, warnings: sizeWarnings(report) };
  }

  /** Turn routing telemetry on or off for every routed layer of an adapter (resets it). */
  setTelemetry(enabled: boolean, name = this.requireActive()): void {
    for (const router of this.routers(name)) {
      router.telemetryEnabled = enabled;
      router.telemetry.reset();
    }
  }

  /** Per-layer routing statistics since telemetry was turned on. */
  telemetry(name = this.requireActive()): Record<string, RoutingSnapshot> {
    const out: Record<string, RoutingSnapshot> = {};
    for (const [module, layer] of this.moduleLayers(name)) {
      if (layer instanceof AdapterLayer && layer.router) out[module] = layer.router.telemetry.snapshot();
    }
    return out;
  }

  /** LoRA-Split inference: infer components when ForwardContext.componentIds is absent. */
  setComponentInferrer(inferrer: ComponentInferrer | null, name = this.requireActive()): void {
    for (const layer of this.moduleLayers(name).values())
      if (layer instanceof AdapterLayer) layer.componentInferrer = inferrer;
  }

  /** Remove an adapter and free its variables; the linears lose their slot when none is left. */
  deleteAdapter(name: string): void {
    this.config(name);
    this.whole.get(name)?.dispose();
    this.whole.delete(name);
    for (const [module, slot] of this.slots) {
      if (slot.merged?.adapter === name)
        throw new Error(`${module}: unmerge adapter '${name}' before deleting it`);
      slot.layers.get(name)?.dispose();
      slot.layers.delete(name);
      if (slot.active === name) slot.active = null;
      if (slot.layers.size === 0) {
        slot.linear.setAdapter(null);
        this.slots.delete(module);
      }
    }
    const virtual = this.virtual.get(name);
    if (virtual) {
      if (this.activeName === name) this.model.setVirtualTokens?.(null);
      virtual.dispose();
      this.virtual.delete(name);
    }
    this.configs.delete(name);
    this.methods.delete(name);
    if (this.activeName === name) {
      this.activeName = null;
      const next = this.adapterNames[0];
      if (next) this.setActiveAdapter(next);
    }
  }

  /** Delete every adapter (the model runs its base again). */
  dispose(): void {
    this.unmerge();
    for (const name of this.adapterNames) this.deleteAdapter(name);
  }

  private routers(name: string): Router[] {
    return [...this.moduleLayers(name).values()].flatMap((l) =>
      l instanceof AdapterLayer ? [l.router, l.componentGate].filter((r) => r !== null) : [],
    );
  }

  private requireActive(): string {
    if (this.activeName === null) throw new Error('no adapter is active on this model');
    return this.activeName;
  }

  private mergeWeights(layer: ModuleLayer, options: MergeOptions, module: string): number[] {
    if (!(layer instanceof AdapterLayer)) return [1];
    const n = layer.shape.numHeads;
    if (options.component !== undefined) {
      if (!Number.isInteger(options.component) || options.component < 0 || options.component >= n) {
        throw new Error(`merge: component = ${options.component} is out of range [0, ${n})`);
      }
      return Array.from({ length: n }, (_, i) => (i === options.component ? 1 : 0));
    }
    if (options.weights) return options.weights;
    if (n === 1) return [1];
    const constant = layer.router?.strategy.constantWeights?.(n);
    if (constant) return constant;
    throw new Error(`merge: ${module} has ${n} routed heads; pass weights (ω, ${n} entries) or a component`);
  }
}

/**
 * Inject an adapter into every linear of `model` that `config.target_modules` selects, and make it
 * the active adapter. Returns the model's AdapterModel (shared by all adapters of that model).
 */
export function injectAdapters(
  model: AdaptableModel,
  config: AdapterConfigInput | AdapterConfig,
  name = 'default',
  options: InjectOptions = {},
): AdapterModel {
  return AdapterModel.of(model).add(name, config, options);
}
