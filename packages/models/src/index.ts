/**
 * @hydralora/models — LLaMA-family decoders in tfjs, loaded from Hugging Face files, with
 * scoring and generation. Call `initBackend()` from @hydralora/gpu-backend first.
 *
 * @packageDocumentation
 */

export {
  type CreateOptions,
  createModel,
  type GenerateCheckpointOptions,
  generateRandomCheckpoint,
  type LoadOptions,
  loadConfig,
  loadModel,
  type SaveOptions,
  saveModel,
} from './checkpoint.js';
export {
  IGNORED_KEYS,
  type LlamaConfig,
  type LlamaConfigInput,
  llamaConfigSchema,
  type ParseConfigOptions,
  parseConfig,
  type ResolvedConfig,
  resolveConfig,
  SUPPORTED_ARCHITECTURES,
} from './config.js';
export { type GenerateOptions, type GenerateResult, generate } from './generation/generate.js';
export {
  GreedySampler,
  type LogitsProcessor,
  MultinomialSampler,
  type Sampler,
  softmax,
  TemperatureProcessor,
  TopKProcessor,
  TopPProcessor,
} from './generation/processors.js';
export { type ScoreOptions, type ScoreResult, scoreContinuations } from './generation/score.js';
export {
  EosTokenCriterion,
  type FinishReason,
  MaxNewTokensCriterion,
  type StoppingCriterion,
  StopStringsCriterion,
  truncateAtStop,
} from './generation/stopping.js';
export { KVCache } from './kv-cache.js';
export { type ForwardContext, Linear, type LinearAdapter, type ModelForwardContext } from './linear.js';
export { MASKED_SCORE } from './masks.js';
export {
  type BuildOptions,
  type CausalLMOutput,
  type ForwardInputs,
  LlamaForCausalLM,
  rmsNorm,
  type TensorSource,
} from './model.js';
export {
  type GenerateTextResult,
  generateText,
  type LoadPretrainedOptions,
  loadPretrained,
  type Pretrained,
  scoreText,
} from './pretrained.js';
export { batchedProduct, linearProduct, type ProductOps, productOps, setProductOps } from './products.js';
export { applyRotary, inverseFrequencies, rotaryTables } from './rope.js';
export {
  type HostTensor,
  INDEX_FILE,
  resolveShardPath,
  SafetensorsCheckpoint,
  SafetensorsFile,
  type TensorInfo,
  type TensorToWrite,
  writeSafetensors,
} from './safetensors.js';
export { TINY_CHAT_TEMPLATE, tinyTokenizerFiles, writeTinyTokenizer } from './tiny-tokenizer.js';
export { type ChatMessage, type LoadedTokenizer, loadTokenizer } from './tokenizer.js';
export type { PrefixKeyValue, VirtualTokenAdapter, VirtualTokenGeometry } from './virtual-tokens.js';
export {
  checkpointShapes,
  type RandomInitOptions,
  randomCheckpointTensors,
  transpose2d,
} from './weights.js';
