/**
 * Mean softmax cross-entropy of integer labels, with a custom gradient that holds as little as
 * possible: the forward pass keeps one vocab-sized buffer, softmax(logits) (the logits themselves
 * can then be freed), and the backward pass builds the one buffer it returns, softmax(logits) −
 * onehot(label), scaled — the one-hot part subtracted in place on the wasm and cpu backends
 * (elsewhere with a scatter). The forward pass uses the Softmax kernel, not Exp (on wasm, XNNPACK's
 * softmax is vectorised and its Exp is not), and reads each row's log-sum-exp off it in one JS pass
 * on wasm and cpu (the Max kernel it replaces took 16 ms per [1024, 8000] call on wasm).
 *
 * tfjs's own path (logSoftmax → gather → mean) saves the whole log-softmax for its gradient and
 * makes about a dozen vocab-sized passes and temporaries per step (Exp twice, a zero-filled
 * scatter for the gather's gradient, casts); this makes about six, with at most two temporaries alive.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, runKernel } from '../fused/js-kernel.js';
import { SOFTMAX_LSE } from '../fused/kernels.js';
import type { CustomGradFunc } from './layout.js';

/** A label that is not counted (Hugging Face's convention); any negative label is ignored too. */
export const IGNORE_INDEX = -100;

/** The float32 values of a tensor on wasm or cpu, writable in place; null on other backends. */
function writableValues(t: tf.Tensor): Float32Array | null {
  const backend = tf.backend() as unknown as {
    typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
    data?: { get(dataId: tf.DataId): { values?: unknown } };
  };
  const name = tf.getBackend();
  if (name === 'wasm' && backend.typedArrayFromHeap) return backend.typedArrayFromHeap(t);
  if (name === 'cpu') {
    const values = backend.data?.get(t.dataId).values;
    return values instanceof Float32Array ? values : null;
  }
  return null;
}

/**
 * Σ over counted rows of −log softmax(logits[row])[label[row]], divided by the number of counted
 * rows. `logits` is [rows, classes]; `labels` has one entry per row, negative = ignored. Throws,
 * naming the row and value, on a label outside [0, classes), and when no row is counted.
 * `inPlace: false` forces the scatter form of the gradient (what non-wasm/cpu backends run).
 */
export function crossEntropy(
  logits: tf.Tensor,
  labels: Int32Array | readonly number[],
  options: { inPlace?: boolean } = {},
): tf.Scalar {
  if (logits.rank !== 2)
    throw new Error(`crossEntropy: logits must be 2-D [rows, classes], got [${logits.shape}]`);
  const [rows, classes] = logits.shape as [number, number];
  if (labels.length !== rows) {
    throw new Error(`crossEntropy: ${labels.length} labels for ${rows} rows of logits`);
  }
  const counted: number[] = [];
  for (let r = 0; r < rows; r++) {
    const label = labels[r] as number;
    if (label < 0) continue;
    if (!Number.isInteger(label) || label >= classes) {
      throw new Error(
        `crossEntropy: labels[${r}] is ${label}; expected ${IGNORE_INDEX} or an id in [0, ${classes})`,
      );
    }
    counted.push(r);
  }
  if (counted.length === 0) throw new Error('crossEntropy: every label is ignored (nothing to score)');
  const count = counted.length;
  const flatIndex = Int32Array.from(counted, (r) => r * classes + (labels[r] as number));
  const rowWeight = new Float32Array(rows);
  for (const r of counted) rowWeight[r] = 1;

  const f = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    // log-sum-exp per row from the Softmax kernel (vectorised in XNNPACK on wasm, ~7× faster than
    // its Exp kernel): softmax at the row maximum is exp(max − lse) ≥ 1/classes, so
    // lse = max − log(max softmax) never meets an underflow. The softmax is what the backward
    // pass needs: it is saved instead of the logits (the same one vocab-sized buffer).
    const p = tf.softmax(x);
    const lse = (
      hasKernel(SOFTMAX_LSE)
        ? runKernel(SOFTMAX_LSE, { x, p })
        : tf.tidy(() => tf.sub(tf.max(x, 1), tf.log(tf.max(p, 1))))
    ) as tf.Tensor1D;
    save([p]);
    const value = tf.tidy(() => {
      const picked = tf.gather(tf.reshape(x, [-1]), tf.tensor1d(flatIndex, 'int32'));
      const lseCounted = tf.gather(lse, tf.tensor1d(Int32Array.from(counted), 'int32'));
      return tf.div(tf.sum(tf.sub(lseCounted, picked)), count);
    });
    lse.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sp] = saved as [tf.Tensor2D];
        const scale = tf.tidy(() =>
          tf.reshape(tf.mul(tf.tensor1d(rowWeight), tf.div(dy as tf.Tensor, count)), [rows, 1]),
        );
        const g = tf.mul(sp, scale);
        const values = options.inPlace === false ? null : writableValues(g);
        if (values) {
          const s = (dy as tf.Tensor).dataSync()[0]! / count;
          for (let i = 0; i < count; i++) {
            const j = flatIndex[i]!;
            values[j] = values[j]! - s;
          }
          scale.dispose();
          return g;
        }
        const out = tf.tidy(() => {
          const idx = tf.tensor2d(
            Int32Array.from(counted.flatMap((r) => [r, labels[r] as number])),
            [count, 2],
            'int32',
          );
          const updates = tf.gather(
            tf.reshape(scale, [rows]),
            tf.tensor1d(Int32Array.from(counted), 'int32'),
          );
          return tf.sub(g, tf.scatterND(idx, updates, [rows, classes]));
        });
        tf.dispose([g, scale]);
        return out;
      },
    };
  }) as unknown as CustomGradFunc);
  return f(logits) as tf.Scalar;
}
