/**
 * `hydralora train`: parse the flags (adapter flags in PEFT's names, training flags as the
 * trainer's arguments), merge them over `--config`, and call `finetune` from @hydralora/trainer.
 * Defaults shown in `--help` come from the schemas; a flag left at its default never overrides
 * the config file.
 */
import { adapterConfigSchema, methodRegistry } from '@hydralora/core-adapters';
import { formatEnergyReport, initBackend } from '@hydralora/gpu-backend';
import { routerRegistry } from '@hydralora/router';
import {
  DEFAULT_TARGET_MODULES,
  finetune,
  resolveTrainConfig,
  scheduleNames,
  TRAINER_ADAPTER_DEFAULTS,
  trainingArgumentsSchema,
} from '@hydralora/trainer';
import { type Command, Option } from 'commander';
import { commandLineError, flagValues, intOption, numberOption, requireFlag } from '../util/options.js';
import { createProgress, type Progress } from '../util/progress.js';

function heads(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  return intOption('--num-heads', 1)(value);
}

function modules(value: string): string[] | string {
  return value === 'all-linear' || /[\\^$*+?()[\]{}|]/.test(value)
    ? value
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

/** `name=value,name=value` → record (rank_pattern, alpha_pattern). */
function pattern(flag: string) {
  return (text: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const part of text.split(',')) {
      const [key, value] = part.split('=');
      if (!key || value === undefined) throw new Error(`${flag} expects name=value pairs, got '${text}'`);
      out[key.trim()] = numberOption(flag)(value.trim());
    }
    return out;
  };
}

/** Flag → [adapter key, parser] for the adapter section (PEFT's keys in kebab case). */
const ADAPTER_FLAGS = {
  method: 'method',
  r: 'r',
  loraAlpha: 'lora_alpha',
  loraDropout: 'lora_dropout',
  useRslora: 'use_rslora',
  numHeads: 'num_heads',
  router: 'router',
  routerTopK: 'router_top_k',
  routerInput: 'router_input',
  splitRouter: 'split_router',
  targetModules: 'target_modules',
  excludeModules: 'exclude_modules',
  rankPattern: 'rank_pattern',
  alphaPattern: 'alpha_pattern',
  headInitScale: 'head_init_scale',
  feedforwardModules: 'feedforward_modules',
  initIa3Weights: 'init_ia3_weights',
  initSeed: 'init_seed',
  numVirtualTokens: 'num_virtual_tokens',
  promptTuningInit: 'prompt_tuning_init',
  promptTuningInitText: 'prompt_tuning_init_text',
  encoderReparameterizationType: 'encoder_reparameterization_type',
  encoderHiddenSize: 'encoder_hidden_size',
  encoderNumLayers: 'encoder_num_layers',
  encoderDropout: 'encoder_dropout',
  prefixProjection: 'prefix_projection',
  targetR: 'target_r',
  initR: 'init_r',
  tinit: 'tinit',
  tfinal: 'tfinal',
  deltaT: 'deltaT',
  adaloraBeta1: 'beta1',
  adaloraBeta2: 'beta2',
  orthRegWeight: 'orth_reg_weight',
  totalStep: 'total_step',
} as const;
const AUX_FLAGS = { loadBalance: 'load_balance', importance: 'importance', zLoss: 'z_loss' } as const;

export function register(program: Command): void {
  const t = trainingArgumentsSchema.parse({});
  const a = adapterConfigSchema.parse({ ...TRAINER_ADAPTER_DEFAULTS, num_heads: 1 });
  const cmd = program
    .command('train')
    .description(
      'fine-tune adapters (LoRA, Split, HydraLoRA, (IA)³, …) or the whole model (--method full) on instruction data; flags override --config',
    )
    .option('--model <dir>', 'base model folder (Hugging Face layout)')
    .option('--data <file>', 'training data: Alpaca-style JSON/JSONL or chat messages')
    .option('--eval-data <file>', 'held-out data: its loss is logged every --eval-every steps and at the end')
    .option('--config <file>', 'JSON or YAML config (unknown keys are rejected)')
    .addOption(new Option('--out <dir>', 'output folder').default('runs/latest'))
    .option(
      '--resume',
      'continue the run in --out from its newest checkpoint (same data order and optimiser state)',
    )
    .option('--overwrite', "replace another run's files in --out (checkpoints, metrics, adapter)")
    // The adapter, in PEFT's keys.
    .addOption(
      new Option('--method <name>', `adapter method: ${methodRegistry.names().join(' | ')}`).default(
        a.method,
      ),
    )
    .addOption(new Option('--r <n>', 'rank of each A/B pair').argParser(intOption('--r', 1)).default(a.r))
    .addOption(
      new Option('--lora-alpha <x>', 'LoRA alpha (update scaled by alpha/r)')
        .argParser(numberOption('--lora-alpha'))
        .default(a.lora_alpha),
    )
    .addOption(
      new Option('--lora-dropout <x>', 'dropout on the adapter input')
        .argParser(numberOption('--lora-dropout'))
        .default(a.lora_dropout),
    )
    .option('--use-rslora', 'scale by alpha/sqrt(r) (rank-stabilised LoRA)')
    .addOption(
      new Option('--num-heads <n|auto>', "B heads / LoRAs, or 'auto' for the clustering elbow")
        .argParser(heads)
        .default('auto'),
    )
    .addOption(
      new Option('--k-max <n>', 'largest K tried by --num-heads auto')
        .argParser(intOption('--k-max', 2))
        .default(8),
    )
    .addOption(
      new Option('--router <name>', `router strategy: ${routerRegistry.names().join(' | ')}`).default(
        a.router,
      ),
    )
    .addOption(
      new Option('--router-top-k <k>', 'k of the top-k router (default: min(2, N))').argParser(
        intOption('--router-top-k', 1),
      ),
    )
    .addOption(
      new Option('--router-input <x|lora_a>', 'gate input: x or A·x')
        .choices(['x', 'lora_a'])
        .default(a.router_input),
    )
    .addOption(
      new Option('--split-router', 'split: learn a router that picks the component at inference').default(
        true,
        'on for split',
      ),
    )
    .option('--no-split-router', 'split: route only by given component ids (evaluation needs them)')
    .addOption(
      new Option('--target-modules <list|regex|all-linear>', 'PEFT target_modules')
        .argParser(modules)
        .default(DEFAULT_TARGET_MODULES, DEFAULT_TARGET_MODULES.join(',')),
    )
    .addOption(new Option('--exclude-modules <list|regex>', 'PEFT exclude_modules').argParser(modules))
    .addOption(
      new Option('--rank-pattern <name=r,…>', 'per-module rank (PEFT rank_pattern)').argParser(
        pattern('--rank-pattern'),
      ),
    )
    .addOption(
      new Option('--alpha-pattern <name=a,…>', 'per-module alpha (PEFT alpha_pattern)').argParser(
        pattern('--alpha-pattern'),
      ),
    )
    .addOption(
      new Option('--load-balance <x>', 'router load-balance loss weight')
        .argParser(numberOption('--load-balance'))
        .default(0),
    )
    .addOption(
      new Option('--importance <x>', 'router importance (cv²) loss weight')
        .argParser(numberOption('--importance'))
        .default(0),
    )
    .addOption(
      new Option('--z-loss <x>', 'router z-loss weight').argParser(numberOption('--z-loss')).default(0),
    )
    .addOption(
      new Option(
        '--feedforward-modules <list|regex>',
        'ia3: targeted modules whose input is scaled (default: down_proj, with targets k_proj,v_proj,down_proj)',
      ).argParser(modules),
    )
    .option('--no-init-ia3-weights', 'ia3: start the scaling vectors from a standard normal instead of ones')
    .addOption(
      new Option('--head-init-scale <x>', 'hydra-diverse: scale of the random B heads')
        .argParser(numberOption('--head-init-scale'))
        .default(a.head_init_scale),
    )
    .addOption(
      new Option('--init-seed <n>', 'seed of the adapter initialisation (default: |--seed|)').argParser(
        intOption('--init-seed', 0),
      ),
    )
    // Prompt learning (prompt-tuning, p-tuning, prefix-tuning), in PEFT's keys.
    .addOption(
      new Option('--num-virtual-tokens <n>', 'prompt learning: virtual tokens before every sequence')
        .argParser(intOption('--num-virtual-tokens', 1))
        .default(a.num_virtual_tokens),
    )
    .addOption(
      new Option('--prompt-tuning-init <RANDOM|TEXT>', 'prompt-tuning: initialisation')
        .choices(['RANDOM', 'TEXT'])
        .default(a.prompt_tuning_init),
    )
    .option('--prompt-tuning-init-text <text>', 'prompt-tuning: the text of the TEXT initialisation')
    .addOption(
      new Option('--encoder-reparameterization-type <MLP|LSTM>', 'p-tuning: the prompt encoder')
        .choices(['MLP', 'LSTM'])
        .default(a.encoder_reparameterization_type),
    )
    .addOption(
      new Option(
        '--encoder-hidden-size <n>',
        'p-tuning / prefix projection: encoder width (default: token_dim)',
      ).argParser(intOption('--encoder-hidden-size', 1)),
    )
    .addOption(
      new Option('--encoder-num-layers <n>', 'p-tuning LSTM: stacked layers')
        .argParser(intOption('--encoder-num-layers', 1))
        .default(a.encoder_num_layers),
    )
    .addOption(
      new Option('--encoder-dropout <x>', 'p-tuning LSTM: dropout between layers')
        .argParser(numberOption('--encoder-dropout'))
        .default(a.encoder_dropout),
    )
    .option('--prefix-projection', 'prefix-tuning: reparameterise the prefixes by an MLP while training')
    // AdaLoRA, in PEFT's AdaLoraConfig keys.
    .addOption(
      new Option('--target-r <n>', 'adalora: average rank per module at the end')
        .argParser(intOption('--target-r', 1))
        .default(a.target_r),
    )
    .addOption(
      new Option('--init-r <n>', 'adalora: rank of every module at the start')
        .argParser(intOption('--init-r', 1))
        .default(a.init_r),
    )
    .addOption(
      new Option('--tinit <n>', 'adalora: warm-up steps before the budget shrinks')
        .argParser(intOption('--tinit', 0))
        .default(a.tinit),
    )
    .addOption(
      new Option('--tfinal <n>', 'adalora: final steps at the target budget')
        .argParser(intOption('--tfinal', 0))
        .default(a.tfinal),
    )
    .addOption(
      new Option('--delta-t <n>', 'adalora: steps between two budget allocations')
        .argParser(intOption('--delta-t', 1))
        .default(a.deltaT),
    )
    .addOption(
      new Option('--adalora-beta1 <x>', 'adalora: EMA coefficient of the importance')
        .argParser(numberOption('--adalora-beta1'))
        .default(a.beta1),
    )
    .addOption(
      new Option('--adalora-beta2 <x>', 'adalora: EMA coefficient of the uncertainty')
        .argParser(numberOption('--adalora-beta2'))
        .default(a.beta2),
    )
    .addOption(
      new Option('--orth-reg-weight <x>', 'adalora: weight of the orthogonality regularisation')
        .argParser(numberOption('--orth-reg-weight'))
        .default(a.orth_reg_weight),
    )
    .addOption(
      new Option(
        '--total-step <n>',
        "adalora: total steps of the budget schedule (default: the run's steps)",
      ).argParser(intOption('--total-step', 1)),
    )
    // How to train.
    .addOption(new Option('--lr <x>', 'peak learning rate').argParser(numberOption('--lr')).default(t.lr))
    .addOption(
      new Option('--schedule <name>', 'learning-rate schedule after warmup')
        .choices(scheduleNames())
        .default(t.schedule),
    )
    .addOption(
      new Option('--warmup-steps <n>', 'linear warmup steps')
        .argParser(intOption('--warmup-steps', 0))
        .default(t.warmupSteps),
    )
    .addOption(
      new Option('--weight-decay <x>', 'AdamW weight decay')
        .argParser(numberOption('--weight-decay'))
        .default(t.weightDecay),
    )
    .addOption(
      new Option('--clip-norm <x>', 'gradient clipping by global norm (0 = off)')
        .argParser(numberOption('--clip-norm'))
        .default(t.clipNorm),
    )
    .addOption(
      new Option('--steps <n>', 'optimiser steps (default: from --epochs)').argParser(
        intOption('--steps', 1),
      ),
    )
    .addOption(
      new Option('--epochs <x>', 'passes over the data when --steps is absent')
        .argParser(numberOption('--epochs'))
        .default(t.epochs),
    )
    .addOption(
      new Option('--micro-batch-size <n>', 'examples per micro-batch')
        .argParser(intOption('--micro-batch-size', 1))
        .default(t.microBatchSize),
    )
    .addOption(
      new Option('--grad-accum-steps <n>', 'micro-batches per optimiser step')
        .argParser(intOption('--grad-accum-steps', 1))
        .default(t.gradAccumSteps),
    )
    .addOption(
      new Option('--max-length <n>', 'tokens per example (prompt cut from the left)')
        .argParser(intOption('--max-length', 8))
        .default(t.maxLength),
    )
    .addOption(
      new Option('--seed <n>', 'seed of data order, dropout and initialisation')
        .argParser(intOption('--seed'))
        .default(t.seed),
    )
    .addOption(
      new Option('--checkpoint-every <n>', 'checkpoint interval in steps (0 = only at the end)')
        .argParser(intOption('--checkpoint-every', 0))
        .default(t.checkpointEvery),
    )
    .addOption(
      new Option('--keep-checkpoints <n>', 'checkpoints of this run kept')
        .argParser(intOption('--keep-checkpoints', 1))
        .default(t.keepCheckpoints),
    )
    .addOption(
      new Option('--eval-every <n>', 'evaluate --eval-data every N steps (0 = at the end)')
        .argParser(intOption('--eval-every', 0))
        .default(t.evalEvery),
    )
    .addOption(
      new Option('--early-stopping-patience <n>', 'stop after N evaluations without improvement (0 = off)')
        .argParser(intOption('--early-stopping-patience', 0))
        .default(t.earlyStoppingPatience),
    )
    .option('--json', 'print the run summary as JSON')
    .option('--quiet', 'print only the result (no progress or info lines)');
  cmd.action(async () => {
    const o = flagValues(cmd);
    const { config: file, resume, overwrite, json, quiet, ...rest } = o;
    const adapter: Record<string, unknown> = {};
    for (const [flag, key] of Object.entries(ADAPTER_FLAGS)) if (flag in rest) adapter[key] = rest[flag];
    if (
      'splitRouter' in rest &&
      rest.splitRouter === true &&
      cmd.getOptionValueSource('splitRouter') === 'default'
    )
      delete adapter.split_router;
    const aux: Record<string, unknown> = {};
    for (const [flag, key] of Object.entries(AUX_FLAGS)) if (flag in rest) aux[key] = rest[flag];
    if (Object.keys(aux).length > 0) adapter.router_aux = aux;
    const flags: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) if (!(k in ADAPTER_FLAGS) && !(k in AUX_FLAGS)) flags[k] = v;
    if (!file) {
      requireFlag(cmd, flags.model, '--model', 'a Hugging Face model folder');
      requireFlag(cmd, flags.data, '--data', 'a JSON or JSONL file of instruction records');
    }
    let config: ReturnType<typeof resolveTrainConfig>;
    try {
      config = resolveTrainConfig(file as string | undefined, { ...flags, adapter });
    } catch (error) {
      throw commandLineError(error);
    }
    await initBackend();
    let bar: Progress | undefined;
    const result = await finetune(config, {
      resume: Boolean(resume),
      overwrite: Boolean(overwrite),
      onInfo: (m) => {
        if (!json && !quiet) process.stderr.write(`${m}\n`);
      },
      onStep: (log, total) => {
        bar ??= createProgress(total, Boolean(json || quiet));
        bar.update(log.step, { loss: log.loss, tps: log.tokensPerSecond });
      },
    });
    bar?.stop();
    const { adapter: _a, pretrained: _p, history, ...summary } = result;
    if (json) console.log(JSON.stringify({ ...summary, finalLoss: history.at(-1)?.loss ?? null }, null, 2));
    else {
      console.log(
        `adapter saved to ${result.adapterDir} (${result.trainable} trainable parameters, ${result.basePercent.toFixed(3)}% of the base)`,
      );
      console.log(
        `${result.steps} steps, final loss ${history.at(-1)?.loss.toFixed(4)}, ${result.tokensPerSecond.toFixed(0)} tokens/s, ${(result.seconds / 60).toFixed(1)} min`,
      );
      if (!quiet) console.log(formatEnergyReport(result.energy));
    }
  });
}
