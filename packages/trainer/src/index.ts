/**
 * @hydralora/trainer — fine-tune LoRA, LoRA-Split and HydraLoRA adapters from code: a
 * {@link Trainer} (model + adapter + data + training arguments → `train()`), the instruction/chat
 * collator with the loss on target tokens only, AdamW with decoupled weight decay, learning-rate
 * schedules, clipping and gradient accumulation, atomic checkpoints with exact resume, callbacks
 * (progress, evaluation, early stopping) and metrics as JSON lines; `finetune()` runs a whole
 * configuration from files, as `hydralora train` does.
 *
 * @packageDocumentation
 */
export {
  type EvalLog,
  earlyStopping,
  progressCallback,
  type StepLog,
  type TrainerCallback,
  type TrainerControl,
} from './callbacks.js';
export {
  type CheckpointExtraState,
  type CheckpointState,
  latestCheckpoint,
  loadCheckpoint,
  prepareRunDir,
  pruneCheckpoints,
  RUN_FILES,
  type RunDirOptions,
  removeStaleTemps,
  saveCheckpoint,
} from './checkpoint.js';
export {
  DEFAULT_TARGET_MODULES,
  describeField,
  parseTrainConfig,
  parseTrainingArguments,
  readConfigFile,
  resolveAdapterSection,
  resolveTrainConfig,
  routesByComponent,
  TRAINER_ADAPTER_DEFAULTS,
  type TrainAdapterConfig,
  type TrainConfig,
  type TrainConfigInput,
  type TrainingArguments,
  type TrainingArgumentsInput,
  trainConfigSchema,
  trainingArgumentsSchema,
} from './config.js';
export {
  type Batch,
  BatchStream,
  type ChatMessage,
  collate,
  epochOrder,
  IGNORE_INDEX,
  type InstructionRecord,
  type InstructionRow,
  type ReadOptions,
  readInstructionFile,
  type TextTokenizer,
  type TokenizedExample,
  toInstructionRecords,
  tokenizeExample,
} from './data.js';
export { type EmbedOptions, embedTexts } from './embed.js';
export { clusteringText, type FinetuneHooks, type FinetuneResult, finetune } from './finetune.js';
export { DivergenceError, type LoopConfig, type LoopOptions, type LoopResult, trainLoop } from './loop.js';
export {
  composeLoraTensors,
  LORAHUB_ALGORITHMS,
  type LoraHubAlgorithm,
  type LoraHubEvaluation,
  type LoraHubOptions,
  type LoraHubResult,
  loraHub,
  readLoraHubAdapters,
} from './lorahub.js';
export { MetricsLog } from './metrics.js';
export {
  AdamW,
  type AdamWOptions,
  type AdamWState,
  clipByGlobalNorm,
  constantWithWarmup,
  cosineWithWarmup,
  getSchedule,
  gradientClipScale,
  linearWithWarmup,
  registerSchedule,
  type Schedule,
  type ScheduleOptions,
  scheduleNames,
} from './optim.js';
export { textTokenizer } from './tokenizer.js';
export {
  adapterParameters,
  Trainer,
  type TrainerDataset,
  type TrainerOptions,
  type TrainResult,
} from './trainer.js';
