/**
 * The conformance check every backend runs: `linear` and `bmm` forward and backward on the backend
 * against the same computation on a reference backend (cpu by default, whose results the package's
 * own tests check against float64 finite differences). Plugin authors call it for their backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, withBackend } from './backend.js';
import type { BackendRegistry } from './backends/index.js';
import { linear } from './ops/linear.js';
import { bmm } from './ops/matmul.js';
import { randomArray, relativeError, rng } from './testing/reference.js';
import { tfLoss } from './testing/tf-helpers.js';

export interface ConformanceOptions {
  /** Backend to compare against (default 'cpu'). */
  reference?: BackendName;
  /** Largest relative error that passes (default 1e-5). */
  tolerance?: number;
  /** Registry to resolve both names from (default: the default registry). */
  registry?: BackendRegistry;
  /** Seed of the random inputs (default 1). */
  seed?: number;
}

export interface ConformanceReport {
  backend: BackendName;
  reference: BackendName;
  tolerance: number;
  /**
   * Relative error max|a − b| / max|b| of each output (`linear y`, `linear dx`, `linear dW`,
   * `linear db`, `bmm y`, `bmm da`, `bmm db`, and the same for `bmm(transposeB)`).
   */
  errors: Record<string, number>;
  maxError: number;
  /** Tensors left behind on the backend by the checked ops (0 when nothing leaks). */
  leakedTensors: number;
  /** maxError ≤ tolerance and nothing leaked. */
  passed: boolean;
}

interface Case {
  name: string;
  /** Input shapes, then the gradients' names in the same order. */
  shapes: number[][];
  grads: string[];
  outShape: number[];
  f: (...t: tf.Tensor[]) => tf.Tensor;
}

const CASES: Case[] = [
  {
    name: 'linear',
    shapes: [[2, 3, 16], [16, 8], [8]],
    grads: ['dx', 'dW', 'db'],
    outShape: [2, 3, 8],
    f: (x, w, b) => linear(x!, w!, b),
  },
  {
    name: 'bmm',
    shapes: [
      [2, 3, 6, 16],
      [2, 3, 16, 5],
    ],
    grads: ['da', 'db'],
    outShape: [2, 3, 6, 5],
    f: (a, b) => bmm(a!, b!),
  },
  {
    name: 'bmm(transposeB)',
    shapes: [
      [2, 3, 6, 16],
      [2, 3, 5, 16],
    ],
    grads: ['da', 'db'],
    outShape: [2, 3, 6, 5],
    f: (a, b) => bmm(a!, b!, { transposeB: true }),
  },
];

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** Every output of every case on the active backend, and the tensors the ops left behind. */
async function runCases(
  inputs: Float32Array[][],
  residuals: Float32Array[],
): Promise<{ outputs: Map<string, Float32Array>; leaked: number }> {
  const outputs = new Map<string, Float32Array>();
  const before = tf.memory().numTensors;
  for (const [index, c] of CASES.entries()) {
    const xs = c.shapes.map((shape, i) => tf.tensor(inputs[index]![i]!, shape, 'float32'));
    const r = tf.tensor(residuals[index]!, c.outShape, 'float32');
    const y = tf.tidy(() => c.f(...xs));
    const grads = tf.grads((...t: tf.Tensor[]) => tfLoss(c.f(...t), r))(xs);
    const values = await Promise.all([y, ...grads].map((t) => t.data() as Promise<Float32Array>));
    tf.dispose([y, ...grads, ...xs, r]);
    outputs.set(`${c.name} y`, values[0]!);
    c.grads.forEach((g, i) => outputs.set(`${c.name} ${g}`, values[i + 1]!));
  }
  return { outputs, leaked: tf.memory().numTensors - before };
}

/**
 * Run `linear` and `bmm` forward and backward (loss Σ r⊙y + ½ Σ y²) on `backend` and on the
 * reference backend with the same float32 inputs, and report the largest relative differences.
 * Switches backends while it runs and restores the one that was active.
 */
export async function checkBackendConformance(
  backend: BackendName,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const { reference = 'cpu', tolerance = 1e-5, registry, seed = 1 } = options;
  if (!(tolerance >= 0)) {
    throw new Error(`checkBackendConformance: option 'tolerance' must be a number ≥ 0, got ${tolerance}`);
  }
  const random = rng(seed);
  const inputs = CASES.map((c) => c.shapes.map((s) => Float32Array.from(randomArray(size(s), random))));
  const residuals = CASES.map((c) => Float32Array.from(randomArray(size(c.outShape), random)));
  const run = () => runCases(inputs, residuals);
  const expected = await withBackend(reference, run, registry);
  const actual = await withBackend(backend, run, registry);
  const errors: Record<string, number> = {};
  for (const [key, want] of expected.outputs) errors[key] = relativeError(actual.outputs.get(key)!, want);
  const maxError = Math.max(...Object.values(errors));
  const leakedTensors = Math.max(actual.leaked, expected.leaked);
  return {
    backend,
    reference,
    tolerance,
    errors,
    maxError,
    leakedTensors,
    passed: maxError <= tolerance && leakedTensors === 0,
  };
}
