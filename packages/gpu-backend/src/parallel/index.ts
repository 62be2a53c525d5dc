export { combineGradients } from './combine.js';
export { type DataParallelOptions, DataParallelPool, type DataParallelStep } from './pool.js';
export type { GradientResult, GradientStep, ParamSet, TaskContext, TaskModule } from './protocol.js';
