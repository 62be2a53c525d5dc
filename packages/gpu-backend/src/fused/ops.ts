/**
 * Ops whose backward passes are fused into one JS kernel on wasm and cpu (see js-kernel.ts), with
 * the same composite tfjs formula everywhere else. Forward passes keep tfjs's kernels (XNNPACK's
 * vectorised Softmax and Sigmoid on wasm); what the tape saves is the minimum the fused backward
 * reads.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CustomGradFunc } from '../ops/layout.js';
import { hasKernel, runKernel } from './js-kernel.js';
import {
  ADAMW,
  DROPOUT,
  dropoutThreshold,
  RMS_NORM,
  RMS_NORM_GRAD,
  ROTARY,
  ROUTE_MIX,
  ROUTE_MIX_GRAD,
  ROUTE_SOFTMAX_MIX,
  ROUTE_SOFTMAX_MIX_GRAD,
  ROUTE_SOFTMAX_MIX_PACKED,
  ROUTE_SOFTMAX_MIX_PACKED_GRAD,
  SMALL_SOFTMAX,
  SOFTMAX_GRAD,
  SWIGLU_GRAD,
} from './kernels.js';

/** Rows up to this length run the JS softmax forward on wasm and cpu (see smallSoftmaxKernel). */
export const SMALL_SOFTMAX_MAX = 32;

/**
 * softmax over the last axis of `x`; with `bias`, softmax(x + bias) (bias broadcast to x, no
 * gradient: e.g. an attention mask). Backward: dx = y ⊙ (dy − Σ dy·y), one pass per row.
 */
export function fusedSoftmax(x: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const n = xIn.shape[xIn.rank - 1] ?? 1;
    const y = bias
      ? tf.tidy(() => tf.softmax(tf.add(xIn, bias)))
      : n <= SMALL_SOFTMAX_MAX && xIn.dtype === 'float32' && hasKernel(SMALL_SOFTMAX)
        ? (runKernel(SMALL_SOFTMAX, { x: xIn }) as tf.Tensor)
        : tf.softmax(xIn);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [ys] = saved as [tf.Tensor];
        const d = dy as tf.Tensor;
        if (hasKernel(SOFTMAX_GRAD)) return [runKernel(SOFTMAX_GRAD, { dy: d, y: ys }) as tf.Tensor];
        return [
          tf.tidy(() => {
            const dyTimesY = tf.mul(d, ys);
            return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, -1, true), ys));
          }),
        ];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(x) as tf.Tensor;
}

/**
 * SwiGLU, silu(gate) ⊙ up = gate·σ(gate)·up (LLaMA's MLP activation). Saves gate and up only;
 * the backward recomputes σ(gate) and runs one fused pass for both gradients.
 */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(gate.shape, up.shape)) {
    throw new Error(`swiglu: gate [${gate.shape}] and up [${up.shape}] must have the same shape`);
  }
  const f = tf.customGrad(((g: tf.Tensor, u: tf.Tensor, save: tf.GradSaveFunc) => {
    save([g, u]);
    return {
      value: tf.tidy(() => tf.mul(tf.mul(g, tf.sigmoid(g)), u)),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [gs, us] = saved as [tf.Tensor, tf.Tensor];
        const d = dy as tf.Tensor;
        const s = tf.sigmoid(gs);
        if (hasKernel(SWIGLU_GRAD)) {
          const out = runKernel(SWIGLU_GRAD, { dy: d, gate: gs, up: us, s }) as tf.Tensor[];
          s.dispose();
          return out;
        }
        return tf.tidy(() => {
          const gsig = tf.mul(gs, s);
          const du = tf.mul(d, gsig);
          const dg = tf.mul(tf.mul(d, us), tf.add(s, tf.mul(gsig, tf.sub(1, s))));
          return [dg, du];
        });
      },
    };
  }) as unknown as CustomGradFunc);
  return f(gate, up) as tf.Tensor;
}

/**
 * HydraLoRA's head mixing, z = scale·(ω ⊗ h) flattened to [T, N·r]: row t holds
 * scale·ω[t, i]·h[t, :] for each head i, the input of the concatenated B [N·r, out]
 * (Σᵢ ωᵢ·Bᵢ·h = [ω₁h | … | ω_Nh]·B). Differentiable in both h [T, r] and ω [T, N].
 */
export function routeMix(h: tf.Tensor2D, w: tf.Tensor2D, scale = 1): tf.Tensor2D {
  const [rows, r] = h.shape;
  const heads = w.shape[1];
  if (w.shape[0] !== rows) {
    throw new Error(`routeMix: h [${h.shape}] and the weights [${w.shape}] must have the same rows`);
  }
  const f = tf.customGrad(((hIn: tf.Tensor2D, wIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    save([hIn, wIn]);
    const value = hasKernel(ROUTE_MIX)
      ? (runKernel(ROUTE_MIX, { h: hIn, w: wIn }, { scale }) as tf.Tensor2D)
      : tf.tidy(() =>
          tf.reshape(
            tf.mul(tf.mul(tf.reshape(wIn, [rows, heads, 1]), tf.reshape(hIn, [rows, 1, r])), scale),
            [rows, heads * r],
          ),
        );
    return {
      value,
      gradFunc: (dz: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dz as tf.Tensor2D;
        if (hasKernel(ROUTE_MIX_GRAD))
          return runKernel(ROUTE_MIX_GRAD, { dz: d, h: hs, w: ws }, { scale }) as tf.Tensor[];
        return tf.tidy(() => {
          const d3 = tf.reshape(d, [rows, heads, r]);
          const dh = tf.mul(tf.sum(tf.mul(d3, tf.reshape(ws, [rows, heads, 1])), 1), scale);
          const dw = tf.mul(tf.sum(tf.mul(d3, tf.reshape(hs, [rows, 1, r])), 2), scale);
          return [dh, dw];
        });
      },
    };
  }) as unknown as CustomGradFunc);
  return f(h, w) as tf.Tensor2D;
}

/**
 * {@link routeMix} of h with ω = softmax(logits): the dense router's softmax and the head mixing
 * as one fused kernel each way on wasm and cpu (ω is not returned: for when no aux loss or
 * telemetry reads it); elsewhere routeMix(h, fusedSoftmax(logits), scale).
 */
export function routeSoftmaxMix(h: tf.Tensor2D, logits: tf.Tensor2D, scale = 1): tf.Tensor2D {
  if (logits.shape[0] !== h.shape[0]) {
    throw new Error(
      `routeSoftmaxMix: h [${h.shape}] and the logits [${logits.shape}] must have the same rows`,
    );
  }
  if (!(hasKernel(ROUTE_SOFTMAX_MIX) && h.dtype === 'float32' && logits.dtype === 'float32')) {
    return tf.tidy(() => routeMix(h, fusedSoftmax(logits) as tf.Tensor2D, scale));
  }
  const f = tf.customGrad(((hIn: tf.Tensor2D, lIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [z, w] = runKernel(ROUTE_SOFTMAX_MIX, { h: hIn, logits: lIn }, { scale }) as [
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    save([hIn, w]);
    return {
      value: z,
      gradFunc: (dz: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return runKernel(
          ROUTE_SOFTMAX_MIX_GRAD,
          { dz: dz as tf.Tensor, h: hs, w: ws },
          { scale },
        ) as tf.Tensor[];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(h, logits) as tf.Tensor2D;
}

/**
 * {@link routeSoftmaxMix} on the packed product hl = x·[A | W_g] [T, r + N]: h is hl[:, :r], the
 * logits hl[:, r:]. One kernel each way on wasm and cpu, with no slices of hl; elsewhere the
 * slices and routeSoftmaxMix.
 */
export function routeSoftmaxMixPacked(hl: tf.Tensor2D, r: number, scale = 1): tf.Tensor2D {
  const [rows, width] = hl.shape;
  if (!(Number.isInteger(r) && r > 0 && r < width)) {
    throw new Error(
      `routeSoftmaxMixPacked: r is ${r}; expected an integer in [1, ${width - 1}] for hl [${hl.shape}]`,
    );
  }
  if (!(hasKernel(ROUTE_SOFTMAX_MIX_PACKED) && hl.dtype === 'float32')) {
    return tf.tidy(() =>
      routeSoftmaxMix(
        tf.slice(hl, [0, 0], [rows, r]) as tf.Tensor2D,
        tf.slice(hl, [0, r], [rows, width - r]) as tf.Tensor2D,
        scale,
      ),
    );
  }
  const f = tf.customGrad(((hlIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const [z, w] = runKernel(ROUTE_SOFTMAX_MIX_PACKED, { hl: hlIn }, { r, scale }) as [
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    save([hlIn, w]);
    return {
      value: z,
      gradFunc: (dz: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [
          runKernel(
            ROUTE_SOFTMAX_MIX_PACKED_GRAD,
            { dz: dz as tf.Tensor, hl: hs, w: ws },
            { r, scale },
          ) as tf.Tensor,
        ];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(hl) as tf.Tensor2D;
}

/** Hyper-parameters of one {@link adamwStep}: c₁ = 1 − β₁ᵗ and c₂ = 1 − β₂ᵗ are the bias corrections. */
export interface AdamWStepAttrs {
  beta1: number;
  beta2: number;
  c1: number;
  c2: number;
  eps: number;
  lr: number;
  weightDecay: number;
  /** Multiplies the gradient first (a clipping factor); 1 for none. */
  gradScale: number;
}

/**
 * One AdamW update of parameter p with moments m, v and gradient g: returns [p', m', v'] (new
 * tensors; the caller assigns them). One fused kernel on wasm and cpu, tfjs ops elsewhere.
 */
export function adamwStep(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  attrs: AdamWStepAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (hasKernel(ADAMW) && [p, m, v, g].every((t) => t.dtype === 'float32')) {
    for (const [name, t] of [
      ['m', m],
      ['v', v],
      ['g', g],
    ] as const) {
      if (!tf.util.arraysEqual(t.shape, p.shape)) {
        throw new Error(`adamwStep: ${name} [${t.shape}] must have the parameter's shape [${p.shape}]`);
      }
    }
    return runKernel(ADAMW, { p, m, v, g }, { ...attrs }) as [tf.Tensor, tf.Tensor, tf.Tensor];
  }
  const { beta1, beta2, c1, c2, eps, lr, weightDecay, gradScale } = attrs;
  return tf.tidy(() => {
    const grad = gradScale === 1 ? g : tf.mul(g, gradScale);
    const m1 = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
    const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
    const decayed = weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
    return [tf.sub(decayed, tf.mul(update, lr)), m1, v1] as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
}

/**
 * RMSNorm over the last axis, x·w/√(mean(x²) + eps) (LLaMA's norm; w [n] broadcast over the rows).
 * On wasm and cpu one fused kernel each way (the forward saves x, w and one 1/rms per row; the
 * backward returns dx and dw in one pass); elsewhere the composite tfjs formula.
 */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const n = x.shape[x.rank - 1] ?? 1;
  if (w.rank !== 1 || w.shape[0] !== n) {
    throw new Error(`rmsNorm: the gain has shape [${w.shape}]; expected [${n}] (the input's last axis)`);
  }
  if (!(hasKernel(RMS_NORM) && x.dtype === 'float32' && w.dtype === 'float32')) {
    return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w));
  }
  const f = tf.customGrad(((xIn: tf.Tensor, wIn: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, inv] = runKernel(RMS_NORM, { x: xIn, w: wIn }, { eps }) as [tf.Tensor, tf.Tensor];
    save([xIn, wIn, inv]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws, invs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return runKernel(RMS_NORM_GRAD, { dy: dy as tf.Tensor, x: xs, w: ws, inv: invs }) as tf.Tensor[];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(x, w) as tf.Tensor;
}

/**
 * Inverted dropout of x at `rate` with an integer `seed` (default: a random one): each element is zeroed with probability
 * `rate` and the rest scaled by 1/(1 − rate). On wasm and cpu the mask is a counter-based hash of
 * (seed, element index) computed in the kernel (no host random numbers, nothing saved for the
 * backward: the same mask is recomputed on dy); elsewhere tf.dropout with the same seed. Masks are
 * deterministic per seed on each backend but differ between the two paths.
 */
export function dropout(
  x: tf.Tensor,
  rate: number,
  seed: number = Math.floor(Math.random() * 2 ** 31),
): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate is ${rate}; expected a number in [0, 1)`);
  if (!Number.isInteger(seed)) throw new Error(`dropout: seed is ${seed}; expected an integer`);
  if (rate === 0) return tf.clone(x);
  if (!(hasKernel(DROPOUT) && x.dtype === 'float32')) return tf.dropout(x, rate, undefined, seed);
  const attrs = { seed: seed | 0, threshold: dropoutThreshold(rate), scale: 1 / (1 - rate) };
  const f = tf.customGrad(((xIn: tf.Tensor) => ({
    value: runKernel(DROPOUT, { x: xIn }, attrs) as tf.Tensor,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [
      runKernel(DROPOUT, { x: dy as tf.Tensor }, attrs) as tf.Tensor,
    ],
  })) as unknown as CustomGradFunc);
  return f(x) as tf.Tensor;
}

/**
 * Rotary position embedding x·cos + rotate_half(x)·sin for x [batch, heads, seq, headDim] and
 * cos, sin [batch or 1, 1, seq, headDim], rotate_half(x) = [−x₂ | x₁] (the halves of the last
 * axis; Hugging Face's LLaMA layout). One fused kernel each way on wasm and cpu; elsewhere slices,
 * a concat and element-wise ops.
 */
export function rotary(x: tf.Tensor, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor {
  const [b, , t, d] = x.shape as number[];
  const ok = (c: tf.Tensor) =>
    x.rank === 4 &&
    c.rank === 4 &&
    (c.shape[0] === 1 || c.shape[0] === b) &&
    c.shape[1] === 1 &&
    c.shape[2] === t &&
    c.shape[3] === d;
  if (!ok(cos) || !ok(sin) || d! % 2 !== 0) {
    throw new Error(
      `rotary: x [${x.shape}] needs [batch, heads, seq, even headDim] and cos [${cos.shape}], sin [${sin.shape}] [batch or 1, 1, seq, headDim]`,
    );
  }
  if (!(hasKernel(ROTARY) && [x, cos, sin].every((v) => v.dtype === 'float32'))) {
    return tf.tidy(() => {
      const half = d! / 2;
      const [x1, x2] = tf.split(x, [half, half], 3);
      return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2!), x1!], 3), sin));
    });
  }
  const f = tf.customGrad(((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    // saved: the caller may dispose cos and sin before the backward runs
    save([cos, sin]);
    return {
      value: runKernel(ROTARY, { x: xIn, cos, sin }, { back: 0 }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [c, s] = saved as [tf.Tensor, tf.Tensor];
        return [runKernel(ROTARY, { x: dy as tf.Tensor, cos: c, sin: s }, { back: 1 }) as tf.Tensor];
      },
    };
  }) as unknown as CustomGradFunc);
  return f(x) as tf.Tensor;
}
