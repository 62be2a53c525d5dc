/**
 * `linear(x, weight, bias?)`: y = x·W + b for x [..., in] and W [in, out] (the "kernel" layout:
 * Hugging Face's [out, in] weights are transposed once, at load time, so that the forward product
 * is NN). Forward and backward run in the backend's fast layout:
 *   dx = dy·Wᵀ   and   dW = xᵀ·dy   (transposes materialised on wasm/cpu, see layout.ts).
 *
 * A frozen weight (a non-trainable tf.Variable, or `weightGrad: false`) gets no dW product at
 * all, which halves the backward cost of the frozen base layers that adapters wrap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type CustomGradFunc, productStrategy } from './layout.js';

export interface LinearOptions {
  /** Compute the weight's gradient. Default: false for a non-trainable tf.Variable, else true. */
  weightGrad?: boolean;
}

function nn(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean, transposeB: boolean): tf.Tensor2D {
  if (productStrategy() === 'native' || (!transposeA && !transposeB))
    return tf.matMul(a, b, transposeA, transposeB);
  return tf.tidy(() =>
    tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b),
  ) as tf.Tensor2D;
}

function forward2d(x2: tf.Tensor2D, w: tf.Tensor2D, bias?: tf.Tensor): tf.Tensor2D {
  return (bias ? tf.fused.matMul({ a: x2, b: w, bias }) : tf.matMul(x2, w)) as tf.Tensor2D;
}

/** `t` as [rows, cols]: itself when it already is (a Reshape is a kernel even when it changes nothing). */
function as2d(t: tf.Tensor, cols: number): tf.Tensor2D {
  return (t.rank === 2 && t.shape[1] === cols ? t : tf.reshape(t, [-1, cols])) as tf.Tensor2D;
}

/** `t` in `shape`: itself when it already has it. */
function reshapeTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.util.arraysEqual(t.shape, shape) ? t : tf.reshape(t, shape);
}

export function linear(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias?: tf.Tensor,
  options: LinearOptions = {},
): tf.Tensor {
  if (weight.rank !== 2) throw new Error(`linear: weight must be 2-D [in, out], got shape [${weight.shape}]`);
  const [inDim, outDim] = weight.shape as [number, number];
  if (x.shape[x.rank - 1] !== inDim) {
    throw new Error(
      `linear: input's last axis is ${x.shape[x.rank - 1]} but the weight expects ${inDim} (weight [${weight.shape}], input [${x.shape}])`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outDim)) {
    throw new Error(`linear: bias must be [${outDim}], got [${bias.shape}]`);
  }
  const weightGrad = options.weightGrad ?? !(weight instanceof tf.Variable && !weight.trainable);
  const outShape = [...x.shape.slice(0, -1), outDim];
  const w = weight as tf.Tensor2D;

  if (!weightGrad) {
    // W is a constant of this op: captured, not an input, so no dW is ever computed.
    const f = tf.customGrad(((xIn: tf.Tensor, ...rest: unknown[]) => {
      const b = bias ? (rest[0] as tf.Tensor) : undefined;
      const value = tf.tidy(() => reshapeTo(forward2d(as2d(xIn, inDim), w, b), outShape));
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
          const dy2 = as2d(dy as tf.Tensor, outDim);
          const dx = reshapeTo(nn(dy2, w, false, true), xIn.shape);
          return b ? [dx, tf.sum(dy2, 0)] : [dx];
        },
      };
    }) as unknown as CustomGradFunc);
    return (bias ? f(x, bias) : f(x)) as tf.Tensor;
  }

  const f = tf.customGrad(((xIn: tf.Tensor, wIn: tf.Tensor, ...rest: unknown[]) => {
    const hasBias = rest.length > 1;
    const b = hasBias ? (rest[0] as tf.Tensor) : undefined;
    const save = rest[rest.length - 1] as tf.GradSaveFunc;
    save([xIn, wIn]);
    const value = tf.tidy(() => reshapeTo(forward2d(as2d(xIn, inDim), wIn as tf.Tensor2D, b), outShape));
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sxIn, sw] = saved as [tf.Tensor, tf.Tensor2D];
        const sx = as2d(sxIn, inDim);
        const dy2 = as2d(dy as tf.Tensor, outDim);
        const dx = reshapeTo(nn(dy2, sw, false, true), xIn.shape);
        const dw = nn(sx, dy2, true, false);
        return hasBias ? [dx, dw, tf.sum(dy2, 0)] : [dx, dw];
      },
    };
  }) as unknown as CustomGradFunc);
  return (bias ? f(x, w, bias) : f(x, w)) as tf.Tensor;
}
