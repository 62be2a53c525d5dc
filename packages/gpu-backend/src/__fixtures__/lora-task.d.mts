import type { GradientStep, ParamSet, TaskContext } from '../parallel/protocol.js';

export interface LoraTaskConfig {
  inDim: number;
  outDim: number;
  rank: number;
  alpha: number;
  seed: number;
}
export interface LoraBatch {
  x: Float32Array;
  target: Float32Array;
  tokens: number;
}
export function randomFloats(n: number, seed: number, scale?: number): Float32Array;
export function initialParams(config: LoraTaskConfig): ParamSet;
export function makeBatch(config: LoraTaskConfig, tokens: number, seed: number): LoraBatch;
export function shardBatch(config: LoraTaskConfig, batch: LoraBatch, sizes: number[]): LoraBatch[];
export function createStep(config: LoraTaskConfig, context: TaskContext): GradientStep<LoraBatch>;
