/**
 * A LLaMA-family decoder (LLaMA 2/3, TinyLlama, SmolLM, Qwen2, Mistral without sliding window):
 * token embedding, N × [RMSNorm → grouped-query attention with rotary positions → residual,
 * RMSNorm → SwiGLU MLP → residual], final RMSNorm, `lm_head`. Module names are Hugging Face's.
 */
import { crossEntropy, rmsNorm as fusedRmsNorm, fusedSoftmax, swiglu } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { type LlamaConfig, type ResolvedConfig, resolveConfig } from './config.js';
import type { KVCache } from './kv-cache.js';
import { Linear, type ModelForwardContext } from './linear.js';
import { buildMasks } from './masks.js';
import { batchedProduct as bmm } from './products.js';
import { applyRotary, inverseFrequencies, rotaryTables } from './rope.js';
import type { HostTensor } from './safetensors.js';
import type { PrefixKeyValue, VirtualTokenAdapter, VirtualTokenGeometry } from './virtual-tokens.js';
import { transpose2d } from './weights.js';

/** Inputs of one forward pass. */
export interface ForwardInputs {
  /** Token ids [batch, seq] (this call's tokens only when a KV cache holds the past). */
  inputIds: number[][] | tf.Tensor2D;
  /** 1 for real tokens, 0 for padding: [batch, past + seq] (default: all ones). */
  attentionMask?: number[][] | tf.Tensor2D;
  /** Positions [batch, seq] (default: count of real tokens before each token, as HF generate). */
  positionIds?: number[][];
  /** Per-sample component ids handed to adapters through `ForwardContext`. */
  componentIds?: Int32Array | number[];
  /** Training mode, handed to adapters through `ForwardContext` (e.g. to apply dropout). */
  training?: boolean;
  /** Seed of the adapters' dropout masks for this pass (reproducible training and resume). */
  dropoutSeed?: number;
  /** Cache of past keys/values; extended in place by this call. */
  kvCache?: KVCache;
  /** Compute logits only for the last position of each sequence (default false). */
  lastTokenOnly?: boolean;
}

/** What {@link LlamaForCausalLM.forwardWithAux} returns. */
export interface CausalLMOutput {
  /** [batch, seq, vocab] (or [batch, 1, vocab] with `lastTokenOnly`). */
  logits: tf.Tensor3D;
  /** Sum of the adapters' auxiliary losses on this pass (training only); null when none. */
  auxLoss: tf.Scalar | null;
}

interface DecoderLayer {
  inputLayernorm: tf.Variable;
  postAttentionLayernorm: tf.Variable;
  qProj: Linear;
  kProj: Linear;
  vProj: Linear;
  oProj: Linear;
  gateProj: Linear;
  upProj: Linear;
  downProj: Linear;
}

/** Where the model's tensors come from: checkpoint name + HF-layout shape → float32 data. */
export type TensorSource = (name: string, hfShape: number[]) => HostTensor;

/** Options for building a model. */
export interface BuildOptions {
  /** Create every weight as a trainable variable (full training). Default false: all frozen. */
  trainable?: boolean;
}

let nextModelId = 0;

/** A LLaMA-family causal language model in tfjs. */
export class LlamaForCausalLM {
  readonly config: LlamaConfig;
  readonly resolved: ResolvedConfig;
  private isTrainable: boolean;
  /** Token embedding [vocab, hidden]. */
  readonly embedTokens: tf.Variable;
  /** Final RMSNorm gain [hidden]. */
  readonly norm: tf.Variable;
  private head: Linear;
  private readonly layers: DecoderLayer[] = [];
  private readonly invFreq: Float64Array;
  private readonly params = new Map<string, tf.Variable>();
  private readonly linears = new Map<string, Linear>();
  private lmHeadOwnsWeight: boolean;
  private virtualTokens: VirtualTokenAdapter | null = null;
  private disposed = false;
  /** Prefix of this model's tfjs variable names (`llama<N>`), unique per instance. */
  readonly variablePrefix = `llama${nextModelId++}`;

  constructor(config: LlamaConfig, source: TensorSource, options: BuildOptions = {}) {
    this.config = config;
    this.resolved = resolveConfig(config);
    this.isTrainable = options.trainable ?? false;
    const { headDim, numKeyValueHeads: kvHeads, qkvBias } = this.resolved;
    const h = config.hidden_size;
    const q = config.num_attention_heads * headDim;
    const kv = kvHeads * headDim;
    const m = config.intermediate_size;
    this.invFreq = inverseFrequencies(config, headDim);

    this.embedTokens = this.vector('model.embed_tokens.weight', source, [config.vocab_size, h]);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      this.layers.push({
        inputLayernorm: this.vector(`${p}.input_layernorm.weight`, source, [h]),
        qProj: this.linear(`${p}.self_attn.q_proj`, source, h, q, qkvBias),
        kProj: this.linear(`${p}.self_attn.k_proj`, source, h, kv, qkvBias),
        vProj: this.linear(`${p}.self_attn.v_proj`, source, h, kv, qkvBias),
        oProj: this.linear(`${p}.self_attn.o_proj`, source, q, h, false),
        postAttentionLayernorm: this.vector(`${p}.post_attention_layernorm.weight`, source, [h]),
        gateProj: this.linear(`${p}.mlp.gate_proj`, source, h, m, false),
        upProj: this.linear(`${p}.mlp.up_proj`, source, h, m, false),
        downProj: this.linear(`${p}.mlp.down_proj`, source, m, h, false),
      });
    }
    this.norm = this.vector('model.norm.weight', source, [h]);
    if (!config.tie_word_embeddings) {
      this.head = this.linear('lm_head', source, h, config.vocab_size, false);
      this.lmHeadOwnsWeight = true;
    } else {
      this.head = this.tiedHead();
      this.lmHeadOwnsWeight = !this.isTrainable;
    }
    this.linears.set('lm_head', this.head);
  }

  /** The output head `lm_head` (for tied embeddings: the token embedding, see {@link setTrainable}). */
  get lmHead(): Linear {
    return this.head;
  }

  /** Whether every weight is a trainable variable (built with `trainable`, or {@link setTrainable}). */
  get trainable(): boolean {
    return this.isTrainable;
  }

  /**
   * Make every weight trainable (full fine-tuning) or frozen again, in place. With tied
   * embeddings the frozen model multiplies by a transposed copy of the embedding (the fast NN
   * layout); the trainable one multiplies by the embedding itself, so that both uses train the
   * same matrix: switching rebuilds `lm_head` (any adapter on it moves to the new layer).
   */
  setTrainable(trainable: boolean): void {
    if (this.disposed) throw new Error('LlamaForCausalLM: the model has been disposed');
    if (trainable === this.isTrainable) return;
    for (const v of this.params.values()) v.trainable = trainable;
    this.isTrainable = trainable;
    if (!this.config.tie_word_embeddings) return;
    const adapter = this.head.adapter;
    if (this.lmHeadOwnsWeight) this.head.weight.dispose();
    this.head = this.tiedHead();
    this.lmHeadOwnsWeight = !trainable;
    this.head.setAdapter(adapter);
    this.linears.set('lm_head', this.head);
  }

  /** The `lm_head` of tied embeddings for the current trainability (see {@link setTrainable}). */
  private tiedHead(): Linear {
    // trainable: shared with the embedding, transposed on each call so both uses train the same matrix
    if (this.isTrainable) return new Linear('lm_head', this.embedTokens, undefined, true);
    // frozen: a transposed copy keeps the product in the fast NN layout
    const transposed = tf.transpose(this.embedTokens);
    const w = tf.variable(transposed, false, `${this.variablePrefix}/lm_head.weight(tied)`);
    transposed.dispose();
    return new Linear('lm_head', w);
  }

  /** tfjs variable names are global: prefix the HF name with this model's instance number. */
  private makeVariable(data: Float32Array, shape: number[], name: string): tf.Variable {
    const initial = tf.tensor(data, shape);
    const v = tf.variable(initial, this.isTrainable, `${this.variablePrefix}/${name}`);
    initial.dispose();
    return v;
  }

  private vector(name: string, source: TensorSource, shape: number[]): tf.Variable {
    const v = this.makeVariable(source(name, shape).data, shape, name);
    this.params.set(name, v);
    return v;
  }

  private linear(name: string, source: TensorSource, inF: number, outF: number, bias: boolean): Linear {
    const t = source(`${name}.weight`, [outF, inF]);
    const w = this.makeVariable(transpose2d(t.data, outF, inF), [inF, outF], `${name}.weight`);
    this.params.set(`${name}.weight`, w);
    let b: tf.Variable | undefined;
    if (bias) {
      b = this.makeVariable(source(`${name}.bias`, [outF]).data, [outF], `${name}.bias`);
      this.params.set(`${name}.bias`, b);
    }
    const layer = new Linear(name, w, b);
    this.linears.set(name, layer);
    return layer;
  }

  /** Every linear layer by Hugging Face module name (`model.layers.0.self_attn.q_proj`, `lm_head`). */
  namedLinears(): Map<string, Linear> {
    return new Map(this.linears);
  }

  /**
   * Every weight by Hugging Face tensor name (`model.layers.0.mlp.up_proj.weight`, …). Linear
   * weights are in [in, out] layout (the transpose of the checkpoint's). A tied `lm_head` is not
   * listed: it is `model.embed_tokens.weight`. Trainable only if the model was built trainable (or made so by `setTrainable`).
   */
  parameters(): Map<string, tf.Variable> {
    return new Map(this.params);
  }

  /**
   * Install (or with null, remove) the prompt-learning adapter whose virtual tokens every forward
   * pass places before the real tokens (see {@link VirtualTokenAdapter}). A KV cache filled with
   * other virtual tokens is refused on the next call.
   */
  setVirtualTokens(adapter: VirtualTokenAdapter | null): void {
    if (adapter && !(Number.isInteger(adapter.numVirtualTokens) && adapter.numVirtualTokens > 0)) {
      throw new Error(
        `setVirtualTokens: numVirtualTokens = ${adapter.numVirtualTokens}; expected an integer > 0`,
      );
    }
    if (adapter && !adapter.inputEmbeddings === !adapter.pastKeyValues) {
      throw new Error(
        'setVirtualTokens: the adapter must implement exactly one of inputEmbeddings, pastKeyValues',
      );
    }
    this.virtualTokens = adapter;
  }

  /** Virtual tokens the installed prompt-learning adapter adds (0 when none): they use positions too. */
  get numVirtualTokens(): number {
    return this.virtualTokens?.numVirtualTokens ?? 0;
  }

  /** The sizes a prompt-learning adapter for this model must have. */
  virtualTokenGeometry(): VirtualTokenGeometry {
    return {
      hiddenSize: this.config.hidden_size,
      numLayers: this.config.num_hidden_layers,
      numAttentionHeads: this.config.num_attention_heads,
      numKeyValueHeads: this.resolved.numKeyValueHeads,
      headDim: this.resolved.headDim,
    };
  }

  /** Total number of parameters (tied embeddings counted once). */
  numParameters(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** Logits [batch, seq, vocab] (or [batch, 1, vocab] with `lastTokenOnly`). */
  forward(inputs: ForwardInputs): tf.Tensor3D {
    return this.run(inputs, false).logits;
  }

  /**
   * Logits plus the sum of the auxiliary losses the adapters computed on this pass (router
   * load-balance / importance / z-loss, the split router's cross-entropy; training only), or
   * null when there are none. Add `auxLoss` to the training loss.
   */
  forwardWithAux(inputs: ForwardInputs): CausalLMOutput {
    return this.run(inputs, true);
  }

  /**
   * The last layer's output after the final RMSNorm, [batch, seq, hidden]: what the LM head reads
   * (e.g. for mean-pooled document embeddings). `lastTokenOnly` gives [batch, 1, hidden].
   */
  hiddenStates(inputs: ForwardInputs): tf.Tensor3D {
    return this.run(inputs, false, true).logits;
  }

  private run(inputs: ForwardInputs, collectAux: boolean, hiddenOnly = false): CausalLMOutput {
    if (this.disposed) throw new Error('LlamaForCausalLM: the model has been disposed');
    const ids = toIdRows(inputs.inputIds, this.config.vocab_size);
    const batch = ids.length;
    const seq = ids[0]?.length ?? 0;
    if (batch === 0 || seq === 0) throw new Error('forward: inputIds must be a non-empty [batch, seq] array');
    const cache = inputs.kvCache;
    if (cache && cache.batchSize !== undefined && cache.batchSize !== batch) {
      throw new Error(`forward: kvCache holds batch ${cache.batchSize} but inputIds has batch ${batch}`);
    }
    const virtual = this.virtualPlan(cache, batch, seq, inputs);
    const { past } = virtual;
    if (virtual.count + past + seq > this.config.max_position_embeddings) {
      throw new Error(
        `forward: ${virtual.count + past + seq} positions (${virtual.count ? `${virtual.count} virtual + ` : ''}${past} cached + ${seq} new) exceed max_position_embeddings ${this.config.max_position_embeddings}`,
      );
    }
    // Virtual tokens in this call's rows (input embeddings) or before them (prefix, or cached).
    const rows = seq + virtual.inRows;
    const masks = buildMasks(
      batch,
      rows,
      virtual.count + past - virtual.inRows,
      virtual.mask,
      inputs.positionIds,
    );
    const componentIds =
      inputs.componentIds === undefined
        ? undefined
        : Int32Array.from(inputs.componentIds as ArrayLike<number>);
    if (componentIds && componentIds.length !== batch) {
      throw new Error(`forward: componentIds has ${componentIds.length} entries but the batch has ${batch}`);
    }

    const auxLosses: tf.Scalar[] | undefined = collectAux && inputs.training ? [] : undefined;
    const out = tf.tidy((): { logits: tf.Tensor3D; auxLoss?: tf.Scalar } => {
      const ctx: ModelForwardContext = {
        ...(auxLosses ? { auxLosses } : {}),
        batchSize: batch,
        seqLength: rows,
        attentionMask: tf.tensor2d(masks.tokenMask, [batch, rows]),
        ...(componentIds ? { componentIds } : {}),
        ...(inputs.training ? { training: true } : {}),
        ...(inputs.dropoutSeed !== undefined ? { dropoutSeed: inputs.dropoutSeed } : {}),
      };
      const { cos, sin } = rotaryTables(masks.positions, batch, rows, this.invFreq);
      const bias = tf.tensor(masks.bias, [batch, 1, 1, rows, virtual.count + past + seq]);
      const idTensor = tf.tensor1d(ids.flat(), 'int32');
      const h = this.config.hidden_size;
      let x = tf.reshape(tf.gather(this.embedTokens, idTensor), [batch, seq, h]);
      if (virtual.inRows > 0) x = tf.concat([this.virtualEmbeddings(ctx, virtual.count), x], 1);
      const prefixes = virtual.prefix ? this.prefixKeyValues(ctx, virtual.count) : undefined;
      this.layers.forEach((layer, i) => {
        const next = this.decoderLayer(layer, i, x, ctx, cos, sin, bias, cache, prefixes?.[i]);
        x.dispose(); // the residual stream of the previous layer (the tape holds what it needs)
        x = next;
      });
      let headCtx = ctx;
      if (virtual.inRows > 0) {
        // the logits cover the real tokens only: labels stay aligned with inputIds
        x = tf.slice(x, [0, virtual.inRows, 0], [batch, seq, h]);
        headCtx = {
          ...ctx,
          seqLength: seq,
          attentionMask: tf.slice(ctx.attentionMask, [0, virtual.inRows], [batch, seq]),
        };
      }
      if (inputs.lastTokenOnly) {
        x = tf.slice(x, [0, seq - 1, 0], [batch, 1, this.config.hidden_size]);
        const lastMask = tf.slice(headCtx.attentionMask, [0, seq - 1], [batch, 1]);
        headCtx = { ...headCtx, seqLength: 1, attentionMask: lastMask };
      }
      x = rmsNorm(x, this.norm, this.config.rms_norm_eps);
      if (hiddenOnly) return { logits: x as tf.Tensor3D }; // hiddenStates() hands this on as the hidden states
      const logits = this.head.forward(x, headCtx) as tf.Tensor3D;
      return auxLosses?.length ? { logits, auxLoss: tf.addN(auxLosses) as tf.Scalar } : { logits };
    });
    if (cache && virtual.count > 0) cache.virtualLength = virtual.count;
    return { logits: out.logits, auxLoss: out.auxLoss ?? null };
  }

  /**
   * Where this call's virtual tokens go: none; in its rows (input embeddings, when no cache or an
   * empty one); as a prefix of every layer's keys/values; or already in the cache. Returns the
   * padding mask over [virtual, past, new] (virtual tokens are real tokens) and the caller's past.
   */
  private virtualPlan(
    cache: KVCache | undefined,
    batch: number,
    seq: number,
    inputs: ForwardInputs,
  ): { count: number; inRows: number; prefix: boolean; past: number; mask: ForwardInputs['attentionMask'] } {
    const adapter = this.virtualTokens;
    const count = adapter?.numVirtualTokens ?? 0;
    const cached = cache?.length ?? 0;
    const cachedVirtual = cache?.virtualLength ?? 0;
    if (cached > 0 && cachedVirtual !== count) {
      throw new Error(
        `forward: kvCache holds ${cachedVirtual} virtual tokens but the model adds ${count}; use a new cache after changing the prompt-learning adapter`,
      );
    }
    const past = cached - cachedVirtual;
    if (count === 0) return { count, inRows: 0, prefix: false, past, mask: inputs.attentionMask };
    if (inputs.positionIds) {
      throw new Error(
        'forward: positionIds cannot be combined with virtual tokens (positions count the virtual tokens first, as in PEFT)',
      );
    }
    const placed = cached === 0; // this call places the virtual tokens
    const given = inputs.attentionMask;
    const rows =
      given === undefined ? undefined : Array.isArray(given) ? given : (given.arraySync() as number[][]);
    if (rows && (rows.length !== batch || rows.some((r) => r.length !== past + seq))) {
      throw new Error(
        `forward: attentionMask must be [${batch}, ${past + seq}] (past ${past} + ${seq} new tokens), got [${rows.length}, ${rows[0]?.length}]`,
      );
    }
    const ones = new Array<number>(count).fill(1);
    const mask = Array.from({ length: batch }, (_, b) => [
      ...ones,
      ...(rows?.[b] ?? new Array(past + seq).fill(1)),
    ]);
    const embeds = adapter?.inputEmbeddings !== undefined;
    return { count, inRows: placed && embeds ? count : 0, prefix: placed && !embeds, past, mask };
  }

  private virtualEmbeddings(ctx: ModelForwardContext, count: number): tf.Tensor {
    const e = this.virtualTokens!.inputEmbeddings!(ctx);
    const expected = [ctx.batchSize, count, this.config.hidden_size];
    if (e.shape.join(',') !== expected.join(','))
      throw new Error(
        `forward: the virtual-token adapter's inputEmbeddings are [${e.shape}], expected [${expected}]`,
      );
    return e;
  }

  private prefixKeyValues(ctx: ModelForwardContext, count: number): PrefixKeyValue[] {
    const prefixes = this.virtualTokens!.pastKeyValues!(ctx);
    const expected = [ctx.batchSize, this.resolved.numKeyValueHeads, count, this.resolved.headDim];
    if (prefixes.length !== this.layers.length)
      throw new Error(
        `forward: the virtual-token adapter gave ${prefixes.length} prefixes for ${this.layers.length} layers`,
      );
    prefixes.forEach((p, i) => {
      for (const t of [p.key, p.value]) {
        if (t.shape.join(',') !== expected.join(','))
          throw new Error(`forward: layer ${i}: prefix key/value is [${t.shape}], expected [${expected}]`);
      }
    });
    return prefixes;
  }

  private decoderLayer(
    layer: DecoderLayer,
    index: number,
    x: tf.Tensor,
    ctx: ModelForwardContext,
    cos: tf.Tensor,
    sin: tf.Tensor,
    bias: tf.Tensor,
    cache: KVCache | undefined,
    prefix?: PrefixKeyValue,
  ): tf.Tensor {
    const { batchSize: b, seqLength: t } = ctx;
    const { headDim: d, numKeyValueHeads: kvHeads } = this.resolved;
    const heads = this.config.num_attention_heads;
    const groups = heads / kvHeads;
    const eps = this.config.rms_norm_eps;

    // Intermediates are disposed right after their last use: the gradient tape keeps its own
    // clones of what backpropagation needs, so this only frees what nothing needs any more (the
    // attention scores, the softmax input, the MLP's gate/up products, …) during the forward pass.
    const r = rmsNorm(x, layer.inputLayernorm, eps);
    const split = (y: tf.Tensor, n: number) =>
      tf.tidy(() => tf.transpose(tf.reshape(y, [b, t, n, d]), [0, 2, 1, 3]));
    const qh = layer.qProj.forward(r, ctx);
    const q = tf.tidy(() => applyRotary(split(qh, heads), cos, sin));
    const kh = layer.kProj.forward(r, ctx);
    let k = tf.tidy(() => applyRotary(split(kh, kvHeads), cos, sin));
    const vh = layer.vProj.forward(r, ctx);
    let v = split(vh, kvHeads);
    tf.dispose([r, qh, kh, vh]);
    if (prefix) {
      // prefix tuning: the layer's virtual keys/values come first (keys are not rotated, as PEFT's past_key_values)
      const [pk, pv] = [tf.concat([prefix.key, k], 2), tf.concat([prefix.value, v], 2)];
      tf.dispose([k, v]);
      [k, v] = [pk, pv];
    }
    if (cache) {
      const full = cache.update(index, k, v); // the cache owns the concatenated tensors
      tf.dispose([k, v]);
      ({ k, v } = full);
    }
    const s = k.shape[2] as number;
    // Grouped-query attention without repeating k/v: the `groups` query heads that share a kv
    // head are stacked along the row axis, [b·kv, groups·t, d] · [b·kv, d, s].
    const scores = tf.tidy(() =>
      bmm(
        tf.reshape(tf.mul(q, 1 / Math.sqrt(d)), [b * kvHeads, groups * t, d]),
        tf.reshape(k, [b * kvHeads, s, d]),
        {
          transposeB: true,
        },
      ),
    );
    // softmax(scores + mask) with a one-pass backward (gpu-backend's fusedSoftmax)
    const probs = tf.tidy(() => fusedSoftmax(tf.reshape(scores, [b, kvHeads, groups, t, s]), bias));
    scores.dispose();
    const merged = tf.tidy(() => {
      const attn = bmm(tf.reshape(probs, [b * kvHeads, groups * t, s]), tf.reshape(v, [b * kvHeads, s, d]));
      return tf.reshape(tf.transpose(tf.reshape(attn, [b, heads, t, d]), [0, 2, 1, 3]), [b, t, heads * d]);
    });
    tf.dispose(cache ? [q, probs] : [q, k, v, probs]);
    const o = layer.oProj.forward(merged, ctx);
    const h = tf.add(x, o);
    tf.dispose([merged, o]);

    const r2 = rmsNorm(h, layer.postAttentionLayernorm, eps);
    const gate = layer.gateProj.forward(r2, ctx);
    const up = layer.upProj.forward(r2, ctx);
    const act = swiglu(gate, up); // silu(gate)·up, one fused pass backward
    tf.dispose([r2, gate, up]);
    const down = layer.downProj.forward(act, ctx);
    const out = tf.add(h, down);
    tf.dispose([act, down, h]);
    return out;
  }

  /**
   * Mean next-token cross-entropy (natural log) over the non-ignored labels, computed by
   * gpu-backend's fused `crossEntropy` (it keeps one log-sum-exp per row, not the log-softmax).
   * `labels` are aligned with `inputIds` as in Hugging Face (shifted inside: the logits at
   * position t are scored against labels[t+1]); -100 marks ignored positions. Usable inside
   * `tf.variableGrads`. Throws when no label is counted.
   */
  loss(
    inputIds: number[][],
    labels: number[][],
    extra: Omit<ForwardInputs, 'inputIds' | 'kvCache' | 'lastTokenOnly'> = {},
  ): tf.Scalar {
    const { loss, auxLoss } = this.lossAndAux(inputIds, labels, extra, false);
    auxLoss?.dispose();
    return loss;
  }

  /**
   * {@link LlamaForCausalLM.loss} plus the pass's auxiliary losses (see `forwardWithAux`): the
   * training objective is `loss + auxLoss`. Usable inside `tf.variableGrads`.
   */
  lossWithAux(
    inputIds: number[][],
    labels: number[][],
    extra: Omit<ForwardInputs, 'inputIds' | 'kvCache' | 'lastTokenOnly'> = {},
  ): { loss: tf.Scalar; auxLoss: tf.Scalar | null } {
    return this.lossAndAux(inputIds, labels, extra, true);
  }

  private lossAndAux(
    inputIds: number[][],
    labels: number[][],
    extra: Omit<ForwardInputs, 'inputIds' | 'kvCache' | 'lastTokenOnly'>,
    collectAux: boolean,
  ): { loss: tf.Scalar; auxLoss: tf.Scalar | null } {
    const batch = inputIds.length;
    const seq = inputIds[0]?.length ?? 0;
    const vocab = this.config.vocab_size;
    // one label per logits row: the next token, or ignored (the last position predicts nothing)
    const targets = new Int32Array(batch * seq).fill(-100);
    for (let bi = 0; bi < batch; bi++) {
      const row = labels[bi];
      if (!row || row.length !== seq) throw new Error(`loss: labels row ${bi} must have ${seq} entries`);
      for (let t = 0; t < seq - 1; t++) {
        const label = row[t + 1] as number;
        if (label === -100) continue;
        if (!Number.isInteger(label) || label < 0 || label >= vocab) {
          throw new Error(
            `loss: labels[${bi}][${t + 1}] is ${label}; expected -100 or an id in [0, ${vocab})`,
          );
        }
        targets[bi * seq + t] = label;
      }
    }
    if (targets.every((l) => l === -100)) throw new Error('loss: every label is -100 (nothing to score)');
    const out = tf.tidy((): { loss: tf.Scalar; auxLoss?: tf.Scalar } => {
      const { logits, auxLoss } = this.run({ ...extra, inputIds }, collectAux);
      // fused: keeps one log-sum-exp per row, not the log-softmax (see gpu-backend crossEntropy)
      const loss = crossEntropy(tf.reshape(logits, [batch * seq, vocab]), targets);
      return auxLoss ? { loss, auxLoss } : { loss };
    });
    return { loss: out.loss, auxLoss: out.auxLoss ?? null };
  }

  /** Free every weight. The model cannot be used afterwards. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    if (this.lmHeadOwnsWeight && !this.params.has('lm_head.weight')) this.head.weight.dispose();
    this.lmHeadOwnsWeight = false;
    this.disposed = true;
  }
}

/** x · rsqrt(mean(x²) + eps) · gain over the last axis. */
export function rmsNorm(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor {
  // one fused kernel each way on wasm and cpu (gpu-backend), the composite formula elsewhere
  return fusedRmsNorm(x, gain, eps);
}

function toIdRows(ids: number[][] | tf.Tensor2D, vocab: number): number[][] {
  const rows = Array.isArray(ids) ? ids : (ids.arraySync() as number[][]);
  const seq = rows[0]?.length ?? 0;
  rows.forEach((row, b) => {
    if (row.length !== seq)
      throw new Error(`forward: inputIds row ${b} has ${row.length} tokens, expected ${seq}`);
    for (let t = 0; t < row.length; t++) {
      const id = row[t] as number;
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new Error(`forward: inputIds[${b}][${t}] is ${id}; expected an integer in [0, ${vocab})`);
      }
    }
  });
  return rows;
}
