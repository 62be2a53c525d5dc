/**
 * Fine-tuning from code: a base model and its tokenizer, an adapter (injected already, or a config
 * in PEFT's keys to inject), instruction or chat data, training arguments — then `train()`.
 *
 * ```ts
 * const base = await loadPretrained(dir);
 * const trainer = new Trainer({
 *   model: base,
 *   adapter: { method: 'hydra', r: 8, lora_alpha: 16, num_heads: 3, target_modules: ['q_proj', 'v_proj'] },
 *   trainData: [{ instruction: 'Add 2 and 3.', output: '5' }],
 *   args: { steps: 100, lr: 1e-3 },
 *   outDir: 'runs/add',
 * });
 * const { history } = await trainer.train();
 * await trainer.save();                      // runs/add/adapter in PEFT's layout
 * ```
 *
 * The loss is the mean cross-entropy over the target tokens (the prompt is masked), plus the
 * auxiliary losses the adapters return on the forward's result.
 */
import path from 'node:path';
import { type AdapterConfigInput, AdapterModel, injectAdapters, saveAdapter } from '@hydralora/core-adapters';
import type { Pretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';
import type { EvalLog, StepLog, TrainerCallback } from './callbacks.js';
import { earlyStopping } from './callbacks.js';
import type { CheckpointExtraState } from './checkpoint.js';
import { parseTrainingArguments, type TrainingArguments, type TrainingArgumentsInput } from './config.js';
import {
  BatchStream,
  collate,
  type InstructionRecord,
  type InstructionRow,
  type TextTokenizer,
  type TokenizedExample,
  toInstructionRecords,
  tokenizeExample,
} from './data.js';
import { trainLoop } from './loop.js';
import { textTokenizer } from './tokenizer.js';

/** Training or evaluation data: rows as in a data file, or records already formatted. */
export type TrainerDataset = readonly (InstructionRow | InstructionRecord)[];

export interface TrainerOptions {
  /** The frozen base model and its tokenizer (`loadPretrained`). */
  model: Pretrained;
  /** The adapter to train: an AdapterModel on `model.model`, or a config to inject (PEFT keys). */
  adapter: AdapterModel | AdapterConfigInput;
  trainData: TrainerDataset;
  /** Held-out data: its loss is evaluated every `args.evalEvery` steps and at the end. */
  evalData?: TrainerDataset;
  args?: TrainingArgumentsInput;
  /** Folder of metrics.jsonl, checkpoints/ and (by `save()`) adapter/. */
  outDir: string;
  /** Continue the run in `outDir` from its latest checkpoint (bit-identical continuation). */
  resume?: boolean;
  /** Replace another run's files in `outDir`. */
  overwrite?: boolean;
  callbacks?: TrainerCallback[];
  /**
   * One component id per training row (LoRA-Split routing, routing telemetry); -1 = none.
   * Default: the rows' `component` labels, numbered in sorted order.
   */
  componentIds?: Int32Array;
  /** Extra fields that must match on resume (the adapter's method, r, heads and targets always do). */
  fingerprint?: Record<string, unknown>;
  /** Stop after this step without a final checkpoint, as an interrupted run would (tests, time limits). */
  stopAfterStep?: number;
}

export interface TrainResult {
  steps: number;
  startStep: number;
  history: StepLog[];
  evalHistory: EvalLog[];
  seconds: number;
  tokens: number;
  tokensPerSecond: number;
  resumedFrom?: string;
  stopReason?: string;
}

function records(data: TrainerDataset, tokenizer: TextTokenizer, source: string): InstructionRecord[] {
  return toInstructionRecords(data as readonly Record<string, unknown>[], { tokenizer, source });
}

export class Trainer {
  readonly adapter: AdapterModel;
  readonly args: TrainingArguments;
  readonly tokenizer: TextTokenizer;
  /** Sorted component labels of the training rows (index = component id). */
  readonly components: string[];
  readonly steps: number;
  private readonly examples: (TokenizedExample & { componentId: number })[];
  private readonly evalExamples: TokenizedExample[];
  private readonly componentIndex: Map<string, number>;

  constructor(private readonly options: TrainerOptions) {
    this.args = parseTrainingArguments(options.args ?? {});
    const pretrained = options.model;
    this.tokenizer = textTokenizer(pretrained);
    const train = records(options.trainData, this.tokenizer, 'trainData');
    this.components = [
      ...new Set(train.map((r) => r.component).filter((c): c is string => c !== undefined)),
    ].sort();
    const known = new Map(this.components.map((c, i) => [c, i]));
    const ids =
      options.componentIds ??
      Int32Array.from(train.map((r) => (r.component !== undefined ? known.get(r.component)! : -1)));
    if (ids.length !== train.length)
      throw new Error(`componentIds has ${ids.length} entries but trainData has ${train.length} rows`);
    this.examples = train.map((r, i) => ({
      ...tokenizeExample(r, this.tokenizer, this.args.maxLength),
      componentId: ids[i]!,
    }));
    this.evalExamples = options.evalData
      ? records(options.evalData, this.tokenizer, 'evalData').map((r) =>
          tokenizeExample(r, this.tokenizer, this.args.maxLength),
        )
      : [];
    if (options.adapter instanceof AdapterModel) {
      if (options.adapter.model !== pretrained.model)
        throw new Error('Trainer: the AdapterModel given was injected into another model than options.model');
      this.adapter = options.adapter;
    } else {
      const tokenizer = this.tokenizer;
      // a tokenizer for methods initialised from text (prompt tuning's TEXT init)
      this.adapter = injectAdapters(pretrained.model, options.adapter, 'default', {
        tokenize: (text) => tokenizer.encode(text),
      });
    }
    const maxId = Math.max(-1, ...ids);
    this.componentIndex = new Map(
      Array.from({ length: Math.max(maxId + 1, this.components.length) + 1 }, (_, i) => [String(i), i]),
    );
    const a = this.args;
    this.steps =
      a.steps ??
      Math.max(1, Math.ceil((a.epochs * this.examples.length) / (a.microBatchSize * a.gradAccumSteps)));
  }

  /** Named trainable variables of the adapter: `<module>#<i>`, stable across processes. */
  parameters(): Map<string, tf.Variable> {
    return adapterParameters(this.adapter);
  }

  /** Train; returns the history. Throws on divergence (nothing is saved then). */
  async train(): Promise<TrainResult> {
    const { options, args } = this;
    const model = options.model.model;
    const config = this.adapter.config();
    const stream = new BatchStream(
      this.examples.map((e) => ({
        inputIds: e.inputIds,
        labels: e.labels,
        component: String(e.componentId),
      })),
      args.microBatchSize,
      args.seed,
      this.tokenizer.padId,
      this.componentIndex,
    );
    const callbacks = [...(options.callbacks ?? [])];
    if (args.earlyStoppingPatience > 0)
      callbacks.push(earlyStopping({ patience: args.earlyStoppingPatience }));
    const run = await trainLoop({
      config: { ...args, steps: this.steps },
      params: this.parameters(),
      stream,
      outDir: options.outDir,
      ...(options.resume ? { resume: true } : {}),
      ...(options.overwrite ? { overwrite: true } : {}),
      fingerprint: {
        method: config.method,
        r: config.r,
        heads: config.num_heads,
        targetModules: config.target_modules,
        seed: args.seed,
        ...options.fingerprint,
      },
      uniformLoss: Math.log(model.config.vocab_size),
      ...(this.evalExamples.length > 0 ? { evaluate: () => this.evaluate() } : {}),
      lossFn: (batch, position) => {
        const ids = Int32Array.from(batch.componentIds, (c) => (c < 0 ? -1 : c));
        const { loss, auxLoss } = model.lossWithAux(batch.inputIds, batch.labels, {
          attentionMask: batch.attentionMask,
          ...(ids.some((c) => c >= 0) ? { componentIds: ids } : {}),
          training: true,
          // Dropout masks depend only on (seed, step, micro-batch): a resumed run repeats them.
          dropoutSeed: (Math.abs(args.seed) * 1_000_003 + position.step * 101 + position.micro) % 2147483647,
        });
        return auxLoss ? { loss: tf.add(loss, auxLoss) as tf.Scalar, aux: auxLoss } : { loss };
      },
      // the method's per-step hook (AdaLoRA's rank allocation; a no-op for the others)
      afterStep: (info) => this.adapter.afterStep(info),
      // and its state outside the parameters, in every checkpoint (AdaLoRA's allocator)
      ...(this.adapter.keepsCheckpointState() ? { extraState: this.methodState() } : {}),
      callbacks,
      ...(options.stopAfterStep !== undefined ? { stopAfterStep: options.stopAfterStep } : {}),
    });
    return {
      steps: run.steps,
      startStep: run.startStep,
      history: run.history,
      evalHistory: run.evalHistory,
      seconds: run.seconds,
      tokens: run.tokens,
      tokensPerSecond: run.tokens / Math.max(1e-9, run.seconds),
      ...(run.resumedFrom ? { resumedFrom: run.resumedFrom } : {}),
      ...(run.stopReason ? { stopReason: run.stopReason } : {}),
    };
  }

  /** Checkpoint hooks for the adapter method's own training state (see `LoopOptions.extraState`). */
  private methodState() {
    const adapter = this.adapter;
    const method = adapter.config().method;
    return {
      save: () => adapter.checkpointState(),
      restore: (state: CheckpointExtraState | undefined, checkpoint: string) => {
        if (!state)
          throw new Error(
            `cannot resume from ${checkpoint}: its state.json has no field 'extra', which method '${method}' needs for an exact resume (the checkpoint predates it); start the run again with overwrite`,
          );
        adapter.restoreCheckpointState(state, { source: checkpoint, totalSteps: this.steps });
      },
    };
  }

  /** Mean loss over the evaluation data's target tokens (inference mode: no dropout). */
  evaluate(): number {
    if (this.evalExamples.length === 0) throw new Error('Trainer.evaluate: no evalData was given');
    const model = this.options.model.model;
    let sum = 0;
    let tokens = 0;
    const size = this.args.microBatchSize;
    for (let i = 0; i < this.evalExamples.length; i += size) {
      const batch = collate(this.evalExamples.slice(i, i + size), this.tokenizer.padId);
      const loss = model.loss(batch.inputIds, batch.labels, { attentionMask: batch.attentionMask });
      sum += loss.dataSync()[0]! * batch.targetTokens;
      tokens += batch.targetTokens;
      loss.dispose();
    }
    return sum / Math.max(1, tokens);
  }

  /** Save the adapter in PEFT's layout (default `<outDir>/adapter`); returns the folder. */
  async save(dir = path.join(this.options.outDir, 'adapter')): Promise<string> {
    await saveAdapter(this.adapter, dir);
    return dir;
  }
}

/**
 * Named trainable variables of the active adapter, stable across processes: `<module>#<i>` per
 * adapted linear (`prompt_encoder#<i>` for a prompt-learning adapter), the model's own parameter
 * names for full fine-tuning.
 */
export function adapterParameters(adapter: AdapterModel): Map<string, tf.Variable> {
  return adapter.namedVariables();
}
