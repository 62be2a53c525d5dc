/**
 * Matrix products whose forward and backward passes both run in the backend's fast layout.
 *
 * tfjs's own matMul gradient computes dA = dC·Bᵀ and dB = Aᵀ·dC with transpose flags, which on
 * wasm are 13–70× slower than NN products. These ops carry a custom gradient that expresses both
 * products in NN layout (see layout.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type CustomGradFunc, productStrategy, transposeLast2 } from './layout.js';

function mm2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (productStrategy() === 'native') return tf.matMul(a, b, transposeA, transposeB) as tf.Tensor2D;
  const aa = transposeA ? (tf.transpose(a) as tf.Tensor2D) : a;
  const bb = transposeB ? (tf.transpose(b) as tf.Tensor2D) : b;
  const out = tf.matMul(aa, bb);
  if (aa !== a) aa.dispose();
  if (bb !== b) bb.dispose();
  return out as tf.Tensor2D;
}

/**
 * a·b for 2-D a [m, k] and b [k, n], with NN-layout gradients. Tensors needing no gradient may be
 * expressed with transposeA/transposeB; both gradient products are NN products too.
 */
export function matMul(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): tf.Tensor2D {
  const { transposeA = false, transposeB = false } = options;
  const f = tf.customGrad(((aIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const A = aIn as tf.Tensor2D;
    const B = bIn as tf.Tensor2D;
    save([A, B]);
    return {
      value: mm2d(A, B, transposeA, transposeB),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dC = dy as tf.Tensor2D;
        const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
        // C = op(A)·op(B).  d op(A) = dC·op(B)ᵀ,  d op(B) = op(A)ᵀ·dC.
        const dA = transposeA ? mm2d(sb, dC, transposeB, true) : mm2d(dC, sb, false, !transposeB);
        const dB = transposeB ? mm2d(dC, sa, true, transposeA) : mm2d(sa, dC, !transposeA, false);
        return [dA, dB];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(a, b) as tf.Tensor2D;
}

function bmmForward(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  // Per-batch 2-D NN products (≈ 8× faster than wasm's BatchMatMul at attention shapes). Slices go
  // through the Slice kernel registered in kernels/slice-wasm.ts; tf.unstack would not.
  const [batch, m, k] = a.shape;
  const n = b.shape[2];
  return tf.tidy(() => {
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < batch; i++) {
      const ai = tf.reshape(tf.slice(a, [i, 0, 0], [1, m, k]), [m, k]) as tf.Tensor2D;
      const bi = tf.reshape(tf.slice(b, [i, 0, 0], [1, k, n]), [k, n]) as tf.Tensor2D;
      outs.push(tf.reshape(tf.matMul(ai, bi), [1, m, n]));
    }
    return tf.concat(outs, 0) as tf.Tensor3D;
  });
}

/**
 * Batched product for attention shapes: a [batch, m, k] · b [batch, k, n] → [batch, m, n]
 * (with optional transposes of either operand's last two axes). Leading axes beyond one batch
 * axis are flattened and restored. With the 'native' strategy (native TF, WebGPU, wasm with BLAS)
 * the flags go to the backend as they are and tfjs's own gradient (flagged products) applies.
 */
export function bmm(
  a: tf.Tensor,
  b: tf.Tensor,
  options: { transposeA?: boolean; transposeB?: boolean } = {},
): tf.Tensor {
  if (a.rank < 3 || a.rank !== b.rank) {
    throw new Error(`bmm expects two tensors of equal rank ≥ 3, got shapes [${a.shape}] and [${b.shape}]`);
  }
  const { transposeA = false, transposeB = false } = options;
  const innerA = a.shape[a.rank - (transposeA ? 2 : 1)];
  const innerB = b.shape[b.rank - (transposeB ? 1 : 2)];
  if (innerA !== innerB) {
    throw new Error(
      `bmm: inner dimensions differ: [${a.shape}] · [${b.shape}] with transposeA=${transposeA}, transposeB=${transposeB}`,
    );
  }
  if (productStrategy() === 'native') return tf.matMul(a, b, transposeA, transposeB);
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((p, d) => p * d, 1);
  return tf.tidy(() => {
    let a3 = tf.reshape(a, [batch, a.shape[a.rank - 2]!, a.shape[a.rank - 1]!]) as tf.Tensor3D;
    let b3 = tf.reshape(b, [batch, b.shape[b.rank - 2]!, b.shape[b.rank - 1]!]) as tf.Tensor3D;
    if (transposeA) a3 = transposeLast2(a3) as tf.Tensor3D;
    if (transposeB) b3 = transposeLast2(b3) as tf.Tensor3D;
    const out = bmmNN(a3, b3);
    return tf.reshape(out, [...lead, out.shape[1], out.shape[2]]);
  });
}

/** a [B, m, k] · b [B, k, n] in NN layout, gradients in NN layout too (flagged products under 'native'). */
export function bmmNN(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (productStrategy() === 'native') return tf.matMul(a, b);
  const f = tf.customGrad(((aIn: tf.Tensor, bIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([aIn, bIn]);
    return {
      value: bmmForward(aIn as tf.Tensor3D, bIn as tf.Tensor3D),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dC = dy as tf.Tensor3D;
        const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
        const bT = transposeLast2(sb) as tf.Tensor3D;
        const aT = transposeLast2(sa) as tf.Tensor3D;
        return [bmmForward(dC, bT), bmmForward(aT, dC)];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(a, b) as tf.Tensor3D;
}
