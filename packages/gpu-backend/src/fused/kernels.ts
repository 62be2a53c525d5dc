/** The JS kernels behind the fused ops (see js-kernel.ts): pure loops over Float32Array views. */
import type { JsKernel } from './js-kernel.js';

export const SOFTMAX_GRAD = 'HydraSoftmaxGrad';
export const SWIGLU_GRAD = 'HydraSwiGLUGrad';
export const SOFTMAX_LSE = 'HydraSoftmaxLogSumExp';
export const SMALL_SOFTMAX = 'HydraSmallSoftmax';
export const ADAMW = 'HydraAdamW';
export const ROUTE_MIX = 'HydraRouteMix';
export const ROUTE_MIX_GRAD = 'HydraRouteMixGrad';
export const RMS_NORM = 'HydraRmsNorm';
export const RMS_NORM_GRAD = 'HydraRmsNormGrad';
export const DROPOUT = 'HydraDropout';
export const ROTARY = 'HydraRotary';
export const ROUTE_SOFTMAX_MIX = 'HydraRouteSoftmaxMix';
export const ROUTE_SOFTMAX_MIX_GRAD = 'HydraRouteSoftmaxMixGrad';
export const ROUTE_SOFTMAX_MIX_PACKED = 'HydraRouteSoftmaxMixPacked';
export const ROUTE_SOFTMAX_MIX_PACKED_GRAD = 'HydraRouteSoftmaxMixPackedGrad';

const last = (shape: number[]) => shape[shape.length - 1] ?? 1;
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * dx = y ⊙ (dy − Σⱼ dyⱼ·yⱼ) per row of the last axis: the softmax backward. The row's dot product
 * runs four partial sums (one serial sum waits on every add: measured 9.5 → 5.5 ms per
 * [4, 8, 256, 256] call).
 */
export const softmaxGradKernel: JsKernel = {
  name: SOFTMAX_GRAD,
  inputs: ['dy', 'y'],
  outputShapes: (shapes) => [shapes[1]!],
  run([dy, y], [dx], shapes) {
    const n = last(shapes[1]!);
    const total = y!.length;
    for (let o = 0; o < total; o += n) {
      const end = o + n;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let j = o;
      for (; j + 3 < end; j += 4) {
        d0 += dy![j]! * y![j]!;
        d1 += dy![j + 1]! * y![j + 1]!;
        d2 += dy![j + 2]! * y![j + 2]!;
        d3 += dy![j + 3]! * y![j + 3]!;
      }
      for (; j < end; j++) d0 += dy![j]! * y![j]!;
      const dot = d0 + d1 + (d2 + d3);
      for (let i = o; i < end; i++) dx![i] = y![i]! * (dy![i]! - dot);
    }
  },
  simd(k, [dy, y, dx], shapes) {
    const n = last(shapes[1]!);
    k.softmax_grad(dy!, y!, dx!, n === 0 ? 0 : sizeOf(shapes[1]!) / n, n);
  },
};

/**
 * softmax over a short last axis (a router's N heads): XNNPACK's Softmax pays per row, ~0.35 ms for
 * [1024, 4] on wasm, against ~0.05 ms for this loop. Long rows (attention) stay with XNNPACK.
 */
export const smallSoftmaxKernel: JsKernel = {
  name: SMALL_SOFTMAX,
  inputs: ['x'],
  outputShapes: (shapes) => [shapes[0]!],
  run([x], [y], shapes) {
    const n = last(shapes[0]!);
    const total = x!.length;
    for (let o = 0; o < total; o += n) {
      let max = -Infinity;
      for (let j = o; j < o + n; j++) if (x![j]! > max) max = x![j]!;
      let sum = 0;
      for (let j = o; j < o + n; j++) {
        const e = Math.exp(x![j]! - max);
        y![j] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let j = o; j < o + n; j++) y![j]! *= inv;
    }
  },
};

/**
 * HydraLoRA's head mixing: z[t, i·r + k] = scale·ω[t, i]·h[t, k] for h = A·x [T, r] and the
 * router weights ω [T, N] — the input of the concatenated B [N·r, out]. One pass instead of two
 * reshapes, a broadcast multiply and a scaling.
 */
export const routeMixKernel: JsKernel = {
  name: ROUTE_MIX,
  inputs: ['h', 'w'],
  outputShapes: (shapes) => [[shapes[0]![0]!, shapes[0]![1]! * shapes[1]![1]!]],
  run([h, w], [z], shapes, attrs) {
    const [rows, r] = shapes[0] as [number, number];
    const heads = shapes[1]![1]!;
    const scale = attrs.scale as number;
    let o = 0;
    for (let t = 0; t < rows; t++) {
      const ho = t * r;
      for (let i = 0; i < heads; i++) {
        const wi = scale * w![t * heads + i]!;
        for (let k = 0; k < r; k++) z![o++] = wi * h![ho + k]!;
      }
    }
  },
};

/** The backward of {@link routeMixKernel}: dh[t, k] = s·Σᵢ ωᵢ·dz[t, i·r + k], dω[t, i] = s·Σₖ dz[t, i·r + k]·h[t, k]. */
export const routeMixGradKernel: JsKernel = {
  name: ROUTE_MIX_GRAD,
  inputs: ['dz', 'h', 'w'],
  outputShapes: (shapes) => [shapes[1]!, shapes[2]!],
  run([dz, h, w], [dh, dw], shapes, attrs) {
    const [rows, r] = shapes[1] as [number, number];
    const heads = shapes[2]![1]!;
    const scale = attrs.scale as number;
    dh!.fill(0);
    for (let t = 0; t < rows; t++) {
      const ho = t * r;
      for (let i = 0; i < heads; i++) {
        const zo = (t * heads + i) * r;
        const wi = scale * w![t * heads + i]!;
        let acc = 0;
        for (let k = 0; k < r; k++) {
          const g = dz![zo + k]!;
          acc += g * h![ho + k]!;
          dh![ho + k]! += wi * g;
        }
        dw![t * heads + i] = scale * acc;
      }
    }
  },
};

/**
 * Row t of h starts at t·hStride + hOffset and row t of the logits at t·lStride + lOffset: h and
 * the logits as two tensors (strides r and N), or packed as one [T, r + N] product x·[A | W_g].
 */
interface MixLayout {
  rows: number;
  r: number;
  heads: number;
  hStride: number;
  hOffset: number;
  lStride: number;
  lOffset: number;
}

/** ω = softmax(logits) per row into w [T, N]; z[t, i·r + k] = scale·ω[t, i]·h[t, k]. */
function softmaxMixForward(
  h: Float32Array,
  l: Float32Array,
  z: Float32Array,
  w: Float32Array,
  m: MixLayout,
  scale: number,
) {
  const { rows, r, heads } = m;
  let o = 0;
  for (let t = 0; t < rows; t++) {
    const lo = t * m.lStride + m.lOffset;
    const wo = t * heads;
    let max = -Infinity;
    for (let i = 0; i < heads; i++) if (l[lo + i]! > max) max = l[lo + i]!;
    let sum = 0;
    for (let i = 0; i < heads; i++) {
      const e = Math.exp(l[lo + i]! - max);
      w[wo + i] = e;
      sum += e;
    }
    const ho = t * m.hStride + m.hOffset;
    for (let i = 0; i < heads; i++) {
      const wi = w[wo + i]! / sum;
      w[wo + i] = wi;
      const si = scale * wi;
      for (let k = 0; k < r; k++) z[o++] = si * h[ho + k]!;
    }
  }
}

/**
 * dω[t, i] = s·Σₖ dz[t, i·r + k]·h[t, k], dh[t, k] = s·Σᵢ ωᵢ·dz[t, i·r + k] and
 * dlogits = ω ⊙ (dω − Σᵢ ωᵢ·dωᵢ), written at dh's and dl's layouts (which may be one array).
 */
function softmaxMixBackward(
  dz: Float32Array,
  h: Float32Array,
  w: Float32Array,
  dh: Float32Array,
  dl: Float32Array,
  m: MixLayout,
  scale: number,
) {
  const { rows, r, heads } = m;
  for (let t = 0; t < rows; t++) {
    const ho = t * m.hStride + m.hOffset;
    const lo = t * m.lStride + m.lOffset;
    const wo = t * heads;
    for (let k = 0; k < r; k++) dh[ho + k] = 0;
    let dot = 0;
    for (let i = 0; i < heads; i++) {
      const zo = (wo + i) * r;
      const wi = w[wo + i]!;
      const swi = scale * wi;
      let acc = 0;
      for (let k = 0; k < r; k++) {
        const g = dz[zo + k]!;
        acc += g * h[ho + k]!;
        dh[ho + k]! += swi * g;
      }
      const dwi = scale * acc;
      dl[lo + i] = dwi; // dω for now
      dot += wi * dwi;
    }
    for (let i = 0; i < heads; i++) dl[lo + i] = w[wo + i]! * (dl[lo + i]! - dot);
  }
}

/**
 * The router's softmax and HydraLoRA's head mixing in one pass: ω = softmax(logits) per row (N
 * heads), z[t, i·r + k] = scale·ω[t, i]·h[t, k]. Outputs z and ω (saved for the backward).
 */
export const routeSoftmaxMixKernel: JsKernel = {
  name: ROUTE_SOFTMAX_MIX,
  inputs: ['h', 'logits'],
  outputShapes: (shapes) => [[shapes[0]![0]!, shapes[0]![1]! * shapes[1]![1]!], shapes[1]!],
  run([h, logits], [z, w], shapes, attrs) {
    const [rows, r] = shapes[0] as [number, number];
    const heads = shapes[1]![1]!;
    const m = { rows, r, heads, hStride: r, hOffset: 0, lStride: heads, lOffset: 0 };
    softmaxMixForward(h!, logits!, z!, w!, m, attrs.scale as number);
  },
  simd(k, [h, logits, z, w], shapes, attrs) {
    const [rows, r] = shapes[0] as [number, number];
    const heads = shapes[1]![1]!;
    k.softmax_mix(h!, r * 4, logits!, heads * 4, z!, w!, rows, r, heads, attrs.scale as number);
  },
};

/** The backward of {@link routeSoftmaxMixKernel}: dh and dlogits from dz, h and ω. */
export const routeSoftmaxMixGradKernel: JsKernel = {
  name: ROUTE_SOFTMAX_MIX_GRAD,
  inputs: ['dz', 'h', 'w'],
  outputShapes: (shapes) => [shapes[1]!, shapes[2]!],
  run([dz, h, w], [dh, dl], shapes, attrs) {
    const [rows, r] = shapes[1] as [number, number];
    const heads = shapes[2]![1]!;
    const m = { rows, r, heads, hStride: r, hOffset: 0, lStride: heads, lOffset: 0 };
    softmaxMixBackward(dz!, h!, w!, dh!, dl!, m, attrs.scale as number);
  },
  simd(k, [dz, h, w, dh, dl], shapes, attrs) {
    const [rows, r] = shapes[1] as [number, number];
    const heads = shapes[2]![1]!;
    k.softmax_mix_grad(dz!, h!, r * 4, w!, dh!, r * 4, dl!, heads * 4, rows, r, heads, attrs.scale as number);
  },
};

/**
 * {@link routeSoftmaxMixKernel} on the packed product hl = x·[A | W_g] [T, r + N] (attribute `r`):
 * no slices of it in the forward, and so no pads and adds of their gradients in the backward.
 */
export const routeSoftmaxMixPackedKernel: JsKernel = {
  name: ROUTE_SOFTMAX_MIX_PACKED,
  inputs: ['hl'],
  outputShapes: (shapes, attrs) => {
    const [rows, width] = shapes[0] as [number, number];
    const r = attrs.r as number;
    return [
      [rows, r * (width - r)],
      [rows, width - r],
    ];
  },
  run([hl], [z, w], shapes, attrs) {
    const [rows, width] = shapes[0] as [number, number];
    const r = attrs.r as number;
    const m = { rows, r, heads: width - r, hStride: width, hOffset: 0, lStride: width, lOffset: r };
    softmaxMixForward(hl!, hl!, z!, w!, m, attrs.scale as number);
  },
  simd(k, [hl, z, w], shapes, attrs) {
    const [rows, width] = shapes[0] as [number, number];
    const r = attrs.r as number;
    k.softmax_mix(hl!, width * 4, hl! + r * 4, width * 4, z!, w!, rows, r, width - r, attrs.scale as number);
  },
};

/** The backward of {@link routeSoftmaxMixPackedKernel}: d(hl) = [dh | dlogits], [T, r + N]. */
export const routeSoftmaxMixPackedGradKernel: JsKernel = {
  name: ROUTE_SOFTMAX_MIX_PACKED_GRAD,
  inputs: ['dz', 'hl', 'w'],
  outputShapes: (shapes) => [shapes[1]!],
  run([dz, hl, w], [dhl], shapes, attrs) {
    const [rows, width] = shapes[1] as [number, number];
    const r = attrs.r as number;
    const m = { rows, r, heads: width - r, hStride: width, hOffset: 0, lStride: width, lOffset: r };
    softmaxMixBackward(dz!, hl!, w!, dhl!, dhl!, m, attrs.scale as number);
  },
  simd(k, [dz, hl, w, dhl], shapes, attrs) {
    const [rows, width] = shapes[1] as [number, number];
    const r = attrs.r as number;
    const s = width * 4;
    k.softmax_mix_grad(dz!, hl!, s, w!, dhl!, s, dhl! + r * 4, s, rows, r, width - r, attrs.scale as number);
  },
};

/**
 * SwiGLU backward from dy, gate g, up u and s = σ(g): for out = g·s·u,
 * dg = dy·u·s·(1 + g·(1 − s)) and du = dy·g·s.
 */
export const swigluGradKernel: JsKernel = {
  name: SWIGLU_GRAD,
  inputs: ['dy', 'gate', 'up', 's'],
  outputShapes: (shapes) => [shapes[1]!, shapes[2]!],
  run([dy, g, u, s], [dg, du]) {
    const total = g!.length;
    for (let i = 0; i < total; i++) {
      const si = s![i]!;
      const gi = g![i]!;
      const d = dy![i]!;
      const gs = gi * si;
      du![i] = d * gs;
      dg![i] = d * u![i]! * (si + gs * (1 - si));
    }
  },
  simd(k, [dy, g, u, s, dg, du], shapes) {
    k.swiglu_grad(dy!, g!, u!, s!, dg!, du!, sizeOf(shapes[1]!));
  },
};

/**
 * Log-sum-exp per row of x [rows, classes] from p = softmax(x): at the row's largest p (the
 * largest x), p = exp(x − lse) ≥ 1/classes, so lse = x − log p there never meets an underflow.
 */
export const softmaxLseKernel: JsKernel = {
  name: SOFTMAX_LSE,
  inputs: ['x', 'p'],
  outputShapes: (shapes) => [[shapes[0]![0]!]],
  run([x, p], [lse], shapes) {
    const [rows, classes] = shapes[0] as [number, number];
    for (let r = 0; r < rows; r++) {
      const o = r * classes;
      let best = o;
      let pmax = p![o]!;
      for (let j = o + 1; j < o + classes; j++) {
        const v = p![j]!;
        if (v > pmax) {
          pmax = v;
          best = j;
        }
      }
      lse![r] = x![best]! - Math.log(pmax);
    }
  },
  simd(k, [x, p, lse], shapes) {
    const [rows, classes] = shapes[0] as [number, number];
    k.softmax_lse(x!, p!, lse!, rows, classes);
  },
};

/**
 * One AdamW step (decoupled weight decay) for one parameter: from p, m, v and the gradient g
 * (times `gradScale`, e.g. a clipping factor), m' = β₁m + (1−β₁)g, v' = β₂v + (1−β₂)g²,
 * p' = p·(1 − lr·wd) − lr·(m'/c₁)/(√(v'/c₂) + ε) with cᵢ = 1 − βᵢᵗ. Replaces ~17 element-wise kernels
 * per parameter (each with its own output buffer) with one pass and three outputs.
 */
export const adamwKernel: JsKernel = {
  name: ADAMW,
  inputs: ['p', 'm', 'v', 'g'],
  outputShapes: (shapes) => [shapes[0]!, shapes[0]!, shapes[0]!],
  run([p, m, v, g], [pOut, mOut, vOut], _shapes, attrs) {
    const { beta1, beta2, c1, c2, eps, lr, weightDecay, gradScale } = attrs as Record<string, number>;
    const decay = 1 - lr! * weightDecay!;
    const a1 = 1 - beta1!;
    const a2 = 1 - beta2!;
    const stepSize = lr! / c1!;
    const invC2 = 1 / c2!;
    const n = p!.length;
    for (let i = 0; i < n; i++) {
      const gi = g![i]! * gradScale!;
      const mi = beta1! * m![i]! + a1 * gi;
      const vi = beta2! * v![i]! + a2 * gi * gi;
      mOut![i] = mi;
      vOut![i] = vi;
      pOut![i] = p![i]! * decay - (stepSize * mi) / (Math.sqrt(vi * invC2) + eps!);
    }
  },
  simd(k, [p, m, v, g, pOut, mOut, vOut], shapes, attrs) {
    const { beta1, beta2, c1, c2, eps, lr, weightDecay, gradScale } = attrs as Record<string, number>;
    k.adamw(
      p!,
      m!,
      v!,
      g!,
      pOut!,
      mOut!,
      vOut!,
      sizeOf(shapes[0]!),
      beta1!,
      1 - beta1!,
      beta2!,
      1 - beta2!,
      1 - lr! * weightDecay!,
      lr! / c1!,
      1 / c2!,
      eps!,
      gradScale!,
    );
  },
};

/**
 * RMSNorm over the last axis: inv = 1/√(mean(x²) + eps) per row, y = x·inv·w (w broadcast over the
 * rows). Outputs y and inv [rows] (what the backward reads). One pass instead of six kernels, each
 * with an output the size of x.
 */
export const rmsNormKernel: JsKernel = {
  name: RMS_NORM,
  inputs: ['x', 'w'],
  outputShapes: (shapes) => [shapes[0]!, [sizeOf(shapes[0]!) / last(shapes[0]!)]],
  run([x, w], [y, inv], shapes, attrs) {
    const n = last(shapes[0]!);
    const eps = attrs.eps as number;
    const rows = n === 0 ? 0 : x!.length / n;
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let s0 = 0;
      let s1 = 0;
      let j = 0;
      for (; j + 1 < n; j += 2) {
        s0 += x![o + j]! * x![o + j]!;
        s1 += x![o + j + 1]! * x![o + j + 1]!;
      }
      if (j < n) s0 += x![o + j]! * x![o + j]!;
      const iv = 1 / Math.sqrt((s0 + s1) / n + eps);
      inv![r] = iv;
      for (let i = 0; i < n; i++) y![o + i] = x![o + i]! * iv * w![i]!;
    }
  },
  simd(k, [x, w, y, inv], shapes, attrs) {
    const n = last(shapes[0]!);
    k.rms_norm(x!, w!, y!, inv!, n === 0 ? 0 : sizeOf(shapes[0]!) / n, n, attrs.eps as number);
  },
};

/**
 * The backward of {@link rmsNormKernel}: with c = Σⱼ dyⱼ·wⱼ·xⱼ per row,
 * dx = inv·(dy·w) − x·inv³·c/n, and dw = Σ_rows dy·x·inv.
 */
export const rmsNormGradKernel: JsKernel = {
  name: RMS_NORM_GRAD,
  inputs: ['dy', 'x', 'w', 'inv'],
  outputShapes: (shapes) => [shapes[1]!, shapes[2]!],
  run([dy, x, w, inv], [dx, dw], shapes) {
    const n = last(shapes[1]!);
    const rows = n === 0 ? 0 : x!.length / n;
    dw!.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      const iv = inv![r]!;
      let c = 0;
      for (let j = 0; j < n; j++) c += dy![o + j]! * w![j]! * x![o + j]!;
      const coef = (iv * iv * iv * c) / n;
      for (let j = 0; j < n; j++) {
        const d = dy![o + j]!;
        const xi = x![o + j]!;
        dx![o + j] = iv * d * w![j]! - xi * coef;
        dw![j]! += d * xi * iv;
      }
    }
  },
  simd(k, [dy, x, w, inv, dx, dw], shapes) {
    const n = last(shapes[1]!);
    k.rms_norm_grad(dy!, x!, w!, inv!, dx!, dw!, n === 0 ? 0 : sizeOf(shapes[1]!) / n, n);
  },
};

/** murmur3's 32-bit finaliser of seed ⊕ (i·0x9E3779B9): the dropout mask's hash (as simd.wat). */
export function dropoutHash(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Elements with hash < threshold are dropped: threshold = round(rate·2³²), capped to 2³² − 1. */
export function dropoutThreshold(rate: number): number {
  return Math.min(0xffffffff, Math.round(rate * 2 ** 32));
}

/**
 * Dropout with a counter-based mask: y[i] = x[i]·scale when dropoutHash(seed, i) ≥ threshold, else 0.
 * The mask is a function of (seed, i) only: nothing is stored for the backward, which is the same
 * kernel on dy; no random-number generator runs on the host.
 */
export const dropoutKernel: JsKernel = {
  name: DROPOUT,
  inputs: ['x'],
  outputShapes: (shapes) => [shapes[0]!],
  run([x], [y], _shapes, attrs) {
    const seed = attrs.seed as number;
    const threshold = attrs.threshold as number;
    const scale = attrs.scale as number;
    const n = x!.length;
    for (let i = 0; i < n; i++) y![i] = dropoutHash(seed, i) >= threshold ? x![i]! * scale : 0;
  },
  simd(k, [x, y], shapes, attrs) {
    k.dropout(
      x!,
      y!,
      sizeOf(shapes[0]!),
      attrs.seed as number,
      (attrs.threshold as number) | 0,
      attrs.scale as number,
    );
  },
};

/**
 * Rotary positions on x [b, h, t, d] with cos, sin [cb, 1, t, d] (cb = 1 or b), half = d/2:
 * forward (back = 0) y = x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂ | x₁]; backward
 * (back = 1, x = dy) its transpose, dx = dy·cos + [dy₂·sin₂ | −dy₁·sin₁]. One pass each way instead
 * of a product with a signed permutation, two multiplies, an add and their gradients.
 */
export const rotaryKernel: JsKernel = {
  name: ROTARY,
  inputs: ['x', 'cos', 'sin'],
  outputShapes: (shapes) => [shapes[0]!],
  run([x, c, s], [y], shapes, attrs) {
    const [b, h, t, d] = shapes[0] as [number, number, number, number];
    const shared = shapes[1]![0] === 1;
    const half = d / 2;
    const back = attrs.back === 1;
    for (let bi = 0; bi < b; bi++)
      for (let hi = 0; hi < h; hi++)
        for (let ti = 0; ti < t; ti++) {
          const xo = ((bi * h + hi) * t + ti) * d;
          const co = ((shared ? 0 : bi) * t + ti) * d;
          for (let j = 0; j < half; j++) {
            const x1 = x![xo + j]!;
            const x2 = x![xo + j + half]!;
            if (back) {
              y![xo + j] = x1 * c![co + j]! + x2 * s![co + j + half]!;
              y![xo + j + half] = x2 * c![co + j + half]! - x1 * s![co + j]!;
            } else {
              y![xo + j] = x1 * c![co + j]! - x2 * s![co + j]!;
              y![xo + j + half] = x2 * c![co + j + half]! + x1 * s![co + j + half]!;
            }
          }
        }
  },
  simd(k, [x, c, s, y], shapes, attrs) {
    const [b, h, t, d] = shapes[0] as [number, number, number, number];
    const stride = shapes[1]![0] === 1 ? 0 : t * d * 4;
    k.rotary(x!, c!, s!, y!, b, h, t, d, stride, attrs.back === 1 ? 1 : 0);
  },
};

export const FUSED_KERNELS: readonly JsKernel[] = [
  softmaxGradKernel,
  swigluGradKernel,
  softmaxLseKernel,
  smallSoftmaxKernel,
  routeMixKernel,
  routeMixGradKernel,
  routeSoftmaxMixKernel,
  routeSoftmaxMixGradKernel,
  routeSoftmaxMixPackedKernel,
  routeSoftmaxMixPackedGradKernel,
  adamwKernel,
  rmsNormKernel,
  rmsNormGradKernel,
  dropoutKernel,
  rotaryKernel,
];
