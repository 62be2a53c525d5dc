import * as tf from '@tensorflow/tfjs-core';

/**
 * The k-th largest value of each row, [rows, 1], built from Max/GreaterEqual/Select only: tfjs
 * has no gradient for TopK, and these ops let a tape pass through (the threshold only ever feeds
 * comparisons, whose gradient is zero).
 */
export function kthLargest(x: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => {
    let rest: tf.Tensor2D = x;
    for (let j = 1; j < k; j++) {
      const top = tf.max(rest, 1, true);
      rest = tf.where(tf.greaterEqual(rest, top), tf.fill(rest.shape, -Infinity), rest) as tf.Tensor2D;
    }
    return tf.max(rest, 1, true) as tf.Tensor2D;
  });
}

/** 1 where a value is among its row's k largest (ties at the threshold included), else 0. */
export function topKMask(x: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.greaterEqual(x, kthLargest(x, k)), 'float32') as tf.Tensor2D);
}
