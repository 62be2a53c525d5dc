/**
 * Pre-training of the embedded default base model: a byte-level BPE tokenizer trained on the
 * corpus, then a small LLaMA-architecture decoder trained from scratch on next-token prediction
 * with the same loop as fine-tuning (every parameter trainable), then the held-out perplexity.
 * Writes a Hugging Face model directory plus `PRETRAIN.json` recording the exact settings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createModel, type LlamaForCausalLM, loadTokenizer, saveModel } from '@hydralora/models';
import { BatchStream, type StepLog, type TokenizedExample, trainLoop } from '@hydralora/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { buildPretrainCorpus, type PretrainSource, trainBpe, writeTokenizer } from './embedded/index.js';

export interface PretrainOptions {
  out: string;
  seed: number;
  /** The text sources (see `buildPretrainCorpus`). */
  sources: PretrainSource[];
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediateSize: number;
  seqLength: number;
  batchSize: number;
  steps: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  checkpointEvery: number;
  resume?: boolean;
  /** Replace the files of another run in `out/training`. */
  overwrite?: boolean;
  /** Stop early (without the final save) after this step: time-boxed runs and tests. */
  stopAfterStep?: number;
  /** The command line that produced this run, recorded in PRETRAIN.json. */
  command?: string;
  onStep?: (log: StepLog) => void;
  onInfo?: (message: string) => void;
}

export interface PretrainResult {
  dir: string;
  parameters: number;
  trainTokens: number;
  heldOutTokens: number;
  heldOutLoss: number;
  heldOutPerplexity: number;
  /**
   * The held-out loss in bits per UTF-8 byte of the predicted text: comparable across
   * tokenizers (perplexity per token is not).
   */
  heldOutBitsPerByte: number;
  seconds: number;
  history: StepLog[];
}

/** Concatenate documents (each followed by EOS) and cut into windows of `seq` tokens. */
export function chunkDocuments(docs: number[][], eos: number, seq: number): TokenizedExample[] {
  const stream: number[] = [];
  for (const d of docs) stream.push(...d, eos);
  const out: TokenizedExample[] = [];
  for (let i = 0; i + seq <= stream.length; i += seq) {
    const ids = stream.slice(i, i + seq);
    out.push({ inputIds: ids, labels: ids });
  }
  return out;
}

/** Mean next-token loss (nats) over `examples`, in batches, without gradients. */
export function evaluateLoss(
  model: LlamaForCausalLM,
  examples: TokenizedExample[],
  batchSize: number,
): { loss: number; tokens: number } {
  let total = 0;
  let tokens = 0;
  for (let i = 0; i < examples.length; i += batchSize) {
    const batch = examples.slice(i, i + batchSize);
    const n = batch.reduce((s, e) => s + e.inputIds.length - 1, 0);
    const loss = tf.tidy(() =>
      model.loss(
        batch.map((e) => e.inputIds),
        batch.map((e) => e.labels),
      ),
    );
    total += loss.dataSync()[0]! * n;
    tokens += n;
    loss.dispose();
  }
  return { loss: total / Math.max(1, tokens), tokens };
}

export async function pretrain(options: PretrainOptions): Promise<PretrainResult> {
  const t0 = performance.now();
  const info = options.onInfo ?? (() => {});
  mkdirSync(options.out, { recursive: true });
  const corpus = buildPretrainCorpus({ seed: options.seed, sources: options.sources });
  info(`corpus: ${corpus.train.length} training and ${corpus.heldOut.length} held-out documents`);

  const bpe = trainBpe(corpus.train, { vocabSize: options.vocabSize });
  writeTokenizer(options.out, bpe);
  const tokenizer = loadTokenizer(options.out);
  const eos = tokenizer.eosTokenId;
  if (eos === undefined)
    throw new Error(`${options.out}/tokenizer_config.json: the trained tokenizer has no eos_token`);
  const encode = (docs: string[]) => docs.map((d) => tokenizer.encode(d, { addSpecialTokens: false }));
  const train = chunkDocuments(encode(corpus.train), eos, options.seqLength);
  const heldOut = chunkDocuments(encode(corpus.heldOut), eos, options.seqLength);
  const trainTokens = train.length * options.seqLength;
  info(
    `tokenizer: ${bpe.vocab.length} tokens; ${trainTokens} training tokens in ${train.length} windows of ${options.seqLength}`,
  );

  const model = createModel(
    {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: bpe.vocab.length,
      hidden_size: options.hiddenSize,
      intermediate_size: options.intermediateSize,
      num_hidden_layers: options.layers,
      num_attention_heads: options.heads,
      num_key_value_heads: options.kvHeads,
      max_position_embeddings: Math.max(512, options.seqLength),
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      tie_word_embeddings: true,
      bos_token_id: tokenizer.bosTokenId ?? null,
      eos_token_id: eos,
      pad_token_id: tokenizer.padTokenId ?? null,
      torch_dtype: 'float32',
    },
    { trainable: true, seed: options.seed },
  );
  const parameters = model.numParameters();
  info(`model: ${(parameters / 1e6).toFixed(2)}M parameters`);

  const stream = new BatchStream(train, options.batchSize, options.seed, tokenizer.padTokenId ?? eos);
  const run = await trainLoop({
    config: {
      steps: options.steps,
      gradAccumSteps: 1,
      lr: options.lr,
      warmupSteps: options.warmupSteps,
      weightDecay: options.weightDecay,
      clipNorm: options.clipNorm,
      checkpointEvery: options.checkpointEvery,
      logEvery: 1,
    },
    params: model.parameters(),
    lossFn: (b) => ({ loss: model.loss(b.inputIds, b.labels) }),
    stream,
    outDir: path.join(options.out, 'training'),
    resume: options.resume ?? false,
    overwrite: options.overwrite ?? false,
    fingerprint: {
      kind: 'pretrain',
      seed: options.seed,
      vocabSize: options.vocabSize,
      hiddenSize: options.hiddenSize,
      layers: options.layers,
      seqLength: options.seqLength,
    },
    ...(options.stopAfterStep !== undefined ? { stopAfterStep: options.stopAfterStep } : {}),
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });

  const evalSet = heldOut.slice(0, 256);
  const { loss: heldOutLoss, tokens: heldOutTokens } = evaluateLoss(model, evalSet, options.batchSize);
  // each window predicts its tokens 1..seq-1: their decoded text is what the loss pays for
  const heldOutBytes = evalSet.reduce(
    (s, e) => s + Buffer.byteLength(tokenizer.decode(e.inputIds.slice(1), { skipSpecialTokens: true })),
    0,
  );
  const heldOutBitsPerByte = (heldOutLoss * heldOutTokens) / Math.LN2 / heldOutBytes;
  const result: PretrainResult = {
    dir: options.out,
    parameters,
    trainTokens,
    heldOutTokens,
    heldOutLoss,
    heldOutPerplexity: Math.exp(heldOutLoss),
    heldOutBitsPerByte,
    seconds: (performance.now() - t0) / 1000,
    history: run.history,
  };
  saveModel(model, options.out);
  const record = {
    command: options.command ?? null,
    seed: options.seed,
    options: Object.fromEntries(
      Object.entries(options).filter(([k, v]) => typeof v !== 'function' && k !== 'command'),
    ),
    parameters,
    trainTokens,
    tokensSeen: run.tokens,
    stepsCompleted: run.steps,
    heldOutTokens,
    heldOutLoss,
    heldOutPerplexity: result.heldOutPerplexity,
    heldOutBitsPerByte,
    seconds: result.seconds,
    finalTrainLoss: run.history.at(-1)?.loss ?? null,
  };
  writeFileSync(path.join(options.out, 'PRETRAIN.json'), `${JSON.stringify(record, null, 2)}\n`);
  model.dispose();
  return result;
}
