/** Test helpers shared by the adapter tests and the conformance suite. */
import { mulberry32 } from '@hydralora/common';
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterModel } from '../adapter-model.js';
import { AdapterLayer } from '../layer/adapter-layer.js';

/** Deterministic pseudo-random values in [-scale, scale) (mulberry32). */
export function randomValues(count: number, seed: number, scale = 1): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (random() * 2 - 1) * scale;
  return out;
}

export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
    shape,
    'float32',
  );
}

/**
 * Give every B (and gate) of an adapter non-zero values, so that outputs depend on all of them;
 * other methods' variables move by up to ±scale from where they are ((IA)³'s ones, full's weights).
 */
export function perturbAdapter(handle: AdapterModel, seed = 5, scale = 0.3): void {
  let s = seed;
  const whole = handle.wholeModel();
  const layers = [...handle.moduleLayers().values()];
  if (whole || !layers.every((l) => l instanceof AdapterLayer)) {
    for (const v of handle.trainableVariables())
      tf.tidy(() => v.assign(tf.add(v, randomTensor(v.shape, s++, scale))));
    return;
  }
  for (const layer of handle.layers().values()) {
    for (const v of [layer.bCat, ...(layer.router?.gate ? [layer.router.gate] : [])]) {
      tf.tidy(() => v.assign(randomTensor(v.shape, s++, scale)));
    }
  }
}

/** Largest absolute difference between two tensors. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  if (x.length !== y.length) throw new Error(`maxAbsDiff: sizes ${x.length} and ${y.length} differ`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs((x[i] ?? 0) - (y[i] ?? 0)));
  return m;
}

/** Evaluate f inside tidy and return its values on the host. */
export function hostValues(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(f);
  const v = Float32Array.from(t.dataSync());
  t.dispose();
  return v;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}
