/**
 * @hydralora/core-adapters — LoRA, LoRA-Split, HydraLoRA (and LoRA-MoE, head-diversity init, the
 * inverted asymmetry), (IA)³ and full fine-tuning for any model that lists its named linear layers: injection by PEFT-style
 * target modules, several named adapters per model, merge/unmerge, parameter accounting, and
 * save/load in PEFT's file layout.
 *
 * @packageDocumentation
 */

/** @deprecated import it from `@hydralora/common` (re-exported here for existing callers). */
export { writeFileAtomic } from '@hydralora/common';
export { type ParameterReport, sizeWarnings } from './accounting.js';
export {
  AdapterModel,
  type InjectOptions,
  injectAdapters,
  type MergeOptions,
  PROMPT_ENCODER,
} from './adapter-model.js';
export {
  type AdapterConfig,
  type AdapterConfigInput,
  adapterConfigSchema,
  loraScaling,
  parseAdapterConfig,
} from './config.js';
export {
  type CollapseOptions,
  collapseAdapter,
  exportPeftLora,
  type PeftLora,
  type PeftLoraModule,
  type SourceRouting,
  savePeftLora,
} from './export/collapse.js';
export { formatHeadWeights, type HeadWeightsSpec, parseHeadWeights } from './export/head-weights.js';
export { mergePeftLora } from './export/merge-lora.js';
export {
  configFromOfficial,
  configToOfficial,
  isOfficialHydraLoraConfig,
  loadOfficialHydraLora,
  OFFICIAL_BIN_FILE,
  type OfficialSaveOptions,
  readOfficialHydraLora,
  saveOfficialHydraLora,
  tensorsFromOfficial,
  tensorsToOfficial,
} from './io/hydralora-official.js';
export {
  type AssignOptions,
  adapterFiles,
  adapterTensors,
  assignAdapterTensors,
  CONFIG_FILE,
  type LoadOptions,
  loadAdapter,
  loadAdapterTensors,
  PEFT_PREFIX,
  readAdapterConfig,
  readAdapterWeights,
  type SaveOptions,
  saveAdapter,
  WEIGHTS_FILE,
} from './io/peft-files.js';
export { PROMPT_EMBEDDINGS, promptConfigJson } from './io/prompt-files.js';
export { decodeSafetensors, encodeSafetensors, type HostTensor } from './io/safetensors.js';
export { type PickledStorage, type PickledTensor, restrictedUnpickle } from './io/torch/pickle.js';
export { isZip, readTorchCheckpoint, writeTorchCheckpoint } from './io/torch/torch-bin.js';
export {
  AdapterLayer,
  type AdapterTensor,
  type ComponentInferrer,
  nearestCentroidInferrer,
} from './layer/adapter-layer.js';
export { diverseHeads, kaimingUniform } from './layer/init.js';
export type { ModuleLayer, WholeModelModule } from './layer/module-layer.js';
export type { LayerShape } from './layer/shape.js';
export { type BudgetSchedule, budgetSchedule, RankAllocator } from './methods/adalora/allocator.js';
export { adaloraAllocator, adaloraMethod } from './methods/adalora/index.js';
export { AdaLoraLayer } from './methods/adalora/layer.js';
export { fullMethod } from './methods/full/index.js';
export { FullFineTuning } from './methods/full/module.js';
export { hydraMethod } from './methods/hydra/index.js';
export { hydraDiverseMethod } from './methods/hydra-diverse/index.js';
export { IA3_LLAMA_DEFAULTS, ia3Method } from './methods/ia3/index.js';
export { Ia3Layer } from './methods/ia3/layer.js';
export { invertedHydraMethod } from './methods/inverted-hydra/index.js';
export { loraMethod } from './methods/lora/index.js';
export { loraMoeMethod } from './methods/lora-moe/index.js';
export { pTuningMethod } from './methods/p-tuning/index.js';
export { prefixTuningMethod } from './methods/prefix-tuning/index.js';
export { promptTuningMethod, textInitIds } from './methods/prompt-tuning/index.js';
export { createMethodRegistry, MethodRegistry, methodRegistry } from './methods/registry.js';
export { splitMethod } from './methods/split/index.js';
export {
  type AdapterFiles,
  type AdapterMethod,
  type AfterStepContext,
  type CheckpointStateContext,
  type LayerFactoryOptions,
  type MethodCheckpointState,
  NO_LAYER_SHAPE,
  PLAIN_SHAPE,
  type WholeModelMethod,
} from './methods/types.js';
export type {
  AdaptableModel,
  ForwardContext,
  Linear,
  LinearAdapter,
  PrefixKeyValue,
  VirtualTokenAdapter,
  VirtualTokenGeometry,
} from './model-types.js';
export { LstmEncoder } from './prompt/lstm-encoder.js';
export { MlpEncoder, type MlpLayerSpec } from './prompt/mlp-encoder.js';
export {
  normalTable,
  PrefixModule,
  PromptEmbeddingModule,
  type PromptEncoder,
  type VirtualTokenHost,
  type VirtualTokenMethod,
  VirtualTokenModule,
} from './prompt/module.js';
export { AdapterSlot } from './slot.js';
export { matchesPattern, resolveTargets, type TargetedModule } from './targeting.js';
