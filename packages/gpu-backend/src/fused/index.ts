/** Fused ops (one-pass JS backward kernels on wasm and cpu, composite tfjs ops elsewhere). */
import { registerJsKernels } from './js-kernel.js';
import { FUSED_KERNELS } from './kernels.js';

export {
  hasKernel,
  type JsKernel,
  peekFloat32,
  registerJsKernels,
  runKernel,
  sumOfSquares,
} from './js-kernel.js';
export {
  ADAMW,
  DROPOUT,
  dropoutHash,
  dropoutThreshold,
  FUSED_KERNELS,
  RMS_NORM,
  RMS_NORM_GRAD,
  ROTARY,
  ROUTE_MIX,
  ROUTE_MIX_GRAD,
  ROUTE_SOFTMAX_MIX,
  ROUTE_SOFTMAX_MIX_GRAD,
  ROUTE_SOFTMAX_MIX_PACKED,
  ROUTE_SOFTMAX_MIX_PACKED_GRAD,
  SOFTMAX_GRAD,
  SOFTMAX_LSE,
  SWIGLU_GRAD,
} from './kernels.js';
export {
  type AdamWStepAttrs,
  adamwStep,
  dropout,
  fusedSoftmax,
  rmsNorm,
  rotary,
  routeMix,
  routeSoftmaxMix,
  routeSoftmaxMixPacked,
  swiglu,
} from './ops.js';
export { type SimdKernels, setSimdKernels, simdAvailable, simdKernels, wasmMemoryOf } from './simd.js';

/** Register the fused kernels for backend `name` (wasm or cpu; others: nothing, idempotent). */
export function registerFusedKernels(name: string): void {
  registerJsKernels(name, FUSED_KERNELS);
}
