export {
  activeBackend,
  BACKEND_NAMES,
  BackendError,
  type BackendInfo,
  type BackendName,
  type BackendReport,
  cudaDevicePresent,
  describeBackend,
  type InitBackendOptions,
  initBackend,
  type RegisteredBackend,
} from './backend.js';
export {
  type BackendPlugin,
  type BackendPosition,
  BackendRegistry,
  BUILTIN_BACKENDS,
  type BuiltinBackendName,
  backendRegistry,
  createBackendRegistry,
  DEFAULT_BACKEND_PRIORITY,
  type KernelPack,
  registerBackend,
} from './backends/index.js';
export {
  BlasError,
  type BlasLibrary,
  type BlasStatus,
  type BlasVendor,
  blasCandidates,
  blasKernelPack,
  blasKernelsActive,
  blasStatus,
  blasThreads,
  findBlas,
  installBlasKernels,
  setBlasThreadBudget,
  uninstallBlasKernels,
} from './blas/index.js';
export {
  type ConformanceOptions,
  type ConformanceReport,
  checkBackendConformance,
} from './conformance.js';
export type { ForwardContext } from './forward-context.js';
export {
  type AdamWStepAttrs,
  adamwStep,
  dropout,
  FUSED_KERNELS,
  fusedSoftmax,
  hasKernel,
  type JsKernel,
  peekFloat32,
  registerFusedKernels,
  registerJsKernels,
  rmsNorm,
  rotary,
  routeMix,
  routeSoftmaxMix,
  routeSoftmaxMixPacked,
  runKernel,
  type SimdKernels,
  setSimdKernels,
  simdAvailable,
  sumOfSquares,
  swiglu,
} from './fused/index.js';
export { registerTrainingKernels, segmentSumInto } from './kernels/index.js';
export { installLeanGradients, leanGradientsInstalled } from './lean-gradients.js';
export {
  installMemoryBudget,
  MemoryBudgetError,
  type MemoryBudgetOptions,
  memoryBudget,
  WASM_HEAP_CAP_BYTES,
} from './memory.js';
export { crossEntropy, IGNORE_INDEX } from './ops/cross-entropy.js';
export { type ProductStrategy, productStrategy, setProductStrategy, transposeLast2 } from './ops/layout.js';
export { type LinearOptions, linear } from './ops/linear.js';
export { bmm, bmmNN, matMul } from './ops/matmul.js';
export {
  combineGradients,
  type DataParallelOptions,
  DataParallelPool,
  type DataParallelStep,
  type GradientResult,
  type GradientStep,
  type ParamSet,
  type TaskContext,
  type TaskModule,
} from './parallel/index.js';
export {
  DEFAULT_POWERCAP_ROOT,
  EnergyMeter,
  type EnergyMeterOptions,
  type EnergyReport,
  type EnergyValue,
  formatEnergyReport,
  type GpuPowerQuery,
  nvidiaSmiPower,
  parseNvidiaSmiPower,
} from './telemetry/index.js';
