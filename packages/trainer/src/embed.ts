/**
 * Document embeddings from the base model itself: the mean over a text's tokens of the last
 * layer's (RMS-normalised) hidden states, an alternative feature space for choosing the number of
 * heads (`findComponentsInEmbeddings` in @hydralora/intrinsic-clustering, which does not depend on
 * any model).
 */
import type { Pretrained } from '@hydralora/models';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link embedTexts}. */
export interface EmbedOptions {
  /** Texts per forward pass (default 16). */
  batchSize?: number;
  /** Tokens kept per text, the first ones (default min(128, max_position_embeddings)). */
  maxLength?: number;
  /** Called after each batch with the texts embedded so far. */
  onProgress?: (done: number, total: number) => void;
}

const positiveInteger = (name: string, value: number) => {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`embedTexts: ${name} is ${value}; expected an integer >= 1`);
  }
  return value;
};

/**
 * One vector of `hidden_size` per text: the hidden states after the final norm, averaged over the
 * text's real tokens (padding is masked out of the mean). Texts are batched by similar length
 * (right padding; causal attention and the default positions make each text's states independent
 * of its batch), and every batch's tensors are freed in a `tf.tidy`.
 */
export function embedTexts(
  { model, tokenizer }: Pretrained,
  texts: readonly string[],
  options: EmbedOptions = {},
): Float32Array[] {
  const batchSize = positiveInteger('batchSize', options.batchSize ?? 16);
  const maxLength = positiveInteger(
    'maxLength',
    options.maxLength ?? Math.min(128, model.config.max_position_embeddings),
  );
  if (maxLength > model.config.max_position_embeddings) {
    throw new Error(
      `embedTexts: maxLength is ${maxLength}; the model has max_position_embeddings ${model.config.max_position_embeddings}`,
    );
  }
  const pad = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
  const ids = texts.map((text, i) => {
    if (typeof text !== 'string') throw new Error(`embedTexts: texts[${i}] is not a string`);
    const tokens = tokenizer.encode(text, { addSpecialTokens: false }).slice(0, maxLength);
    if (tokens.length === 0)
      throw new Error(`embedTexts: texts[${i}] (${JSON.stringify(text)}) has no tokens`);
    return tokens;
  });
  const order = ids.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length || a - b);
  const out = new Array<Float32Array>(texts.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const width = Math.max(...batch.map((i) => ids[i]!.length));
    const inputIds = batch.map((i) => [...ids[i]!, ...new Array<number>(width - ids[i]!.length).fill(pad)]);
    const attentionMask = batch.map((i) =>
      Array.from({ length: width }, (_, t) => (t < ids[i]!.length ? 1 : 0)),
    );
    const pooled = tf.tidy(() => {
      const hidden = model.hiddenStates({ inputIds, attentionMask });
      const mask = tf.expandDims(tf.tensor2d(attentionMask, [batch.length, width], 'float32'), 2);
      const sum = tf.sum(tf.mul(hidden, mask), 1);
      return tf.div(sum, tf.sum(mask, 1));
    });
    const values = pooled.dataSync() as Float32Array;
    pooled.dispose();
    const h = values.length / batch.length;
    batch.forEach((i, b) => {
      out[i] = values.slice(b * h, (b + 1) * h);
    });
    options.onProgress?.(Math.min(start + batchSize, order.length), order.length);
  }
  return out;
}
