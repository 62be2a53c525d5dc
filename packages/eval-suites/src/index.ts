/**
 * @hydralora/eval-suites — MMLU, GSM8K, HumanEval, BBH and perplexity, evaluated as the HydraLoRA
 * paper does, against the small {@link EvalModel} interface.
 * @packageDocumentation
 */

/** @deprecated import it from `@hydralora/common` (re-exported here for existing callers). */
export { writeFileAtomic } from '@hydralora/common';
export {
  BBH_STOP,
  type BbhOptions,
  type BbhResult,
  type BbhTaskScore,
  buildBbhPrompt,
  evaluateBbh,
  extractBbhAnswer,
} from './bbh/evaluate.js';
// BBH
export { type BbhTask, countShots, loadBbh, loadBbhTask, stripCotHeader } from './bbh/load.js';
export {
  buildGsm8kPrompt,
  evaluateGsm8k,
  GSM8K_STOP,
  type Gsm8kOptions,
  type Gsm8kPrediction,
  type Gsm8kProblem,
  type Gsm8kResult,
  loadGsm8k,
} from './gsm8k/evaluate.js';
// GSM8K
export { type CotExemplar, GSM8K_COT_EXEMPLARS } from './gsm8k/exemplars.js';
export { extractGsm8kAnswer, goldGsm8kAnswer, normalizeNumber } from './gsm8k/extract.js';
export {
  evaluateHumanEval,
  type HumanEvalGenerationOptions,
  type HumanEvalOptions,
  type HumanEvalResult,
  type HumanEvalTaskResult,
  scoreSamples,
} from './humaneval/evaluate.js';
export {
  buildProgram,
  type ExecutionOptions,
  type ExecutionResult,
  executeCompletion,
  resolvePython,
} from './humaneval/execute.js';
// HumanEval
export {
  HUMANEVAL_STOP,
  type HumanEvalProblem,
  type HumanEvalSample,
  loadHumanEval,
  loadSamples,
} from './humaneval/load.js';
export { meanPassAtK, passAtK } from './humaneval/pass-at-k.js';
export {
  evaluateMmlu,
  MMLU_GROUPS,
  type MmluOptions,
  type MmluPrediction,
  type MmluResult,
  type MmluScore,
} from './mmlu/evaluate.js';
// MMLU
export {
  loadMmlu,
  MMLU_CHOICES,
  type MmluData,
  type MmluLetter,
  type MmluQuestion,
  parseMmluCsv,
} from './mmlu/load.js';
export { buildMmluPrompt, formatMmluExample, formatSubject } from './mmlu/prompt.js';
export type { EvalModel, GenerateOptions } from './model.js';
// Perplexity
export { evaluatePerplexity, type PerplexityOptions, type PerplexityResult } from './perplexity.js';
export { createProgressBar, type ProgressReporter, silentProgress } from './progress.js';
export { type EvalTask, requireModel, type TaskContext, TaskRegistry, type TaskResult } from './registry.js';
export { formatPaperTable, formatResultsJson, PAPER_TABLE_COLUMNS, type TableRow } from './report.js';
export {
  bbhTask,
  gsm8kTask,
  humanEvalTask,
  mmluTask,
  perplexityTask,
  registerBuiltinTasks,
} from './tasks.js';
export { mapConcurrent, mapInBatches } from './util/batch.js';
export { readJsonl, readTextFile, resolveDataDir } from './util/files.js';
export { truncateAtStop } from './util/text.js';
