/**
 * The virtual-token module shared by the prompt-learning methods: an embedding table
 * [N, width] and, while training, an optional encoder (P-tuning's MLP/LSTM, prefix tuning's
 * projection) that turns it into the produced tokens [N, out]. What PEFT saves as
 * `prompt_embeddings` is the produced table; loading it drops the encoder (PEFT's inference mode).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterConfig } from '../config.js';
import type { HostTensor } from '../io/safetensors.js';
import type {
  ForwardContext,
  PrefixKeyValue,
  VirtualTokenAdapter,
  VirtualTokenGeometry,
} from '../model-types.js';

/** What a prompt-learning method is given to build its module. */
export interface VirtualTokenHost {
  geometry: VirtualTokenGeometry;
  /** The model's token embedding [vocab, hidden] (TEXT initialisation), when it exposes one. */
  embedTokens?: tf.Tensor;
  /** Text → token ids (TEXT initialisation). */
  tokenize?: (text: string) => number[];
  /** Built to receive saved `prompt_embeddings`: initialisation that needs more (a tokenizer) is skipped. */
  loading: boolean;
  /** Where the config came from, for error messages. */
  source: string;
}

/** A trainable map from the embedding table [N, width] to the produced tokens [N, out]. */
export interface PromptEncoder {
  forward(input: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D;
  variables(): tf.Variable[];
  /**
   * Assign weights given in PyTorch layout under PEFT's module names (`mlp_head.0.weight`,
   * `lstm_head.weight_ih_l0`, `transform.0.bias`, …); errors name the missing or misshapen ones.
   */
  assignTorch(tensors: Record<string, HostTensor>, source: string): void;
  dispose(): void;
}

/** The part of an adapter method that builds its virtual tokens (see AdapterMethod.virtualTokens). */
export interface VirtualTokenMethod {
  /** Method config keys written to adapter_config.json on top of PEFT's PromptLearningConfig keys. */
  readonly configKeys: readonly (keyof AdapterConfig)[];
  /** PEFT's `token_dim` and `num_attention_heads` for a model of this geometry. */
  peftGeometry(geometry: VirtualTokenGeometry): { tokenDim: number; numAttentionHeads: number };
  create(config: AdapterConfig, host: VirtualTokenHost): VirtualTokenModule;
}

/** N(0, 1) values, as torch.nn.Embedding initialises its table. */
export function normalTable(rows: number, width: number, seed: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.randomNormal([rows, width], 0, 1, 'float32', seed), true));
}

export abstract class VirtualTokenModule implements VirtualTokenAdapter {
  protected embedding: tf.Variable;
  protected encoder: PromptEncoder | null;

  constructor(
    readonly numVirtualTokens: number,
    /** Width of each produced token (what `prompt_embeddings` holds per row). */
    readonly outputWidth: number,
    embedding: tf.Variable,
    encoder: PromptEncoder | null,
  ) {
    this.embedding = embedding;
    this.encoder = encoder;
  }

  /** Whether an encoder is present (training form) or only the produced table (saved form). */
  get hasEncoder(): boolean {
    return this.encoder !== null;
  }

  /** The produced tokens [N, outputWidth]. */
  produce(ctx: ForwardContext = {}): tf.Tensor2D {
    return this.encoder
      ? this.encoder.forward(this.embedding as tf.Tensor2D, ctx)
      : (this.embedding as tf.Tensor2D);
  }

  /** The trainable variables: the table and the encoder's weights. */
  variables(): tf.Variable[] {
    return [this.embedding, ...(this.encoder?.variables() ?? [])];
  }

  parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Shape of the saved `prompt_embeddings`. */
  get savedShape(): [number, number] {
    return [this.numVirtualTokens, this.outputWidth];
  }

  /** PEFT's `prompt_embeddings`: the produced tokens of an inference pass, on the host. */
  savedEmbeddings(): HostTensor {
    const produced = tf.tidy(() => tf.clone(this.produce({})));
    const data = Float32Array.from(produced.dataSync());
    produced.dispose();
    return { shape: this.savedShape, data };
  }

  /** Take saved `prompt_embeddings` as the table and drop the encoder (PEFT's inference mode). */
  loadEmbeddings(host: HostTensor, source: string): void {
    if (host.shape.join(',') !== this.savedShape.join(',')) {
      throw new Error(
        `${source}: tensor 'prompt_embeddings' is [${host.shape}], expected [${this.savedShape}]`,
      );
    }
    this.encoder?.dispose();
    this.encoder = null;
    if (this.embedding.shape.join(',') === this.savedShape.join(',')) {
      tf.tidy(() => this.embedding.assign(tf.tensor2d(host.data, this.savedShape)));
    } else {
      this.embedding.dispose();
      this.embedding = tf.tidy(() => tf.variable(tf.tensor2d(host.data, this.savedShape), true));
    }
  }

  /** The encoder, to set reference weights in tests (null once saved embeddings are loaded). */
  get promptEncoder(): PromptEncoder | null {
    return this.encoder;
  }

  /** The embedding table (before the encoder). */
  get table(): tf.Variable {
    return this.embedding;
  }

  dispose(): void {
    this.embedding.dispose();
    this.encoder?.dispose();
    this.encoder = null;
  }

  protected batch(ctx: ForwardContext): number {
    const batch = ctx.batchSize;
    if (batch === undefined) throw new Error('virtual tokens: the forward context has no batchSize');
    return batch;
  }
}

/** Prompt tuning and P-tuning: the produced tokens are input embeddings [batch, N, hidden]. */
export class PromptEmbeddingModule extends VirtualTokenModule {
  inputEmbeddings(ctx: ForwardContext): tf.Tensor {
    const produced = this.produce(ctx);
    return tf.tile(tf.expandDims(produced, 0), [this.batch(ctx), 1, 1]);
  }
}

/**
 * Prefix tuning: each produced row is [numLayers, 2 (key, value), kvHeads, headDim] flattened,
 * PEFT's layout of `prompt_embeddings` [N, numLayers·2·kvHeads·headDim].
 */
export class PrefixModule extends VirtualTokenModule {
  constructor(
    numVirtualTokens: number,
    readonly geometry: VirtualTokenGeometry,
    embedding: tf.Variable,
    encoder: PromptEncoder | null,
  ) {
    super(
      numVirtualTokens,
      geometry.numLayers * 2 * geometry.numKeyValueHeads * geometry.headDim,
      embedding,
      encoder,
    );
  }

  pastKeyValues(ctx: ForwardContext): PrefixKeyValue[] {
    const { numLayers, numKeyValueHeads: heads, headDim } = this.geometry;
    const n = this.numVirtualTokens;
    const batch = this.batch(ctx);
    const produced = this.produce(ctx);
    // [N, L·2, kvHeads, d] → [L·2, kvHeads, N, d]
    const perLayer = tf.unstack(
      tf.transpose(tf.reshape(produced, [n, numLayers * 2, heads, headDim]), [1, 2, 0, 3]),
    );
    const out: PrefixKeyValue[] = [];
    for (let i = 0; i < numLayers; i++) {
      const expand = (t: tf.Tensor) => tf.tile(tf.expandDims(t, 0), [batch, 1, 1, 1]);
      out.push({ key: expand(perLayer[2 * i]!), value: expand(perLayer[2 * i + 1]!) });
    }
    return out;
  }
}
