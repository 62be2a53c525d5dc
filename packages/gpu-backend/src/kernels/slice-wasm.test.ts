import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { rng } from '../testing/reference.js';

/** Plain-JS slice of a row-major array: the element at begin + idx for every idx < size. */
function referenceSlice(
  values: ArrayLike<number>,
  shape: number[],
  begin: number[],
  size: number[],
): number[] {
  const rank = shape.length;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, x) => p * x, 1));
  const total = size.reduce((p, x) => p * x, 1);
  const out: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    let offset = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rest % size[d]!;
      rest = Math.floor(rest / size[d]!);
      offset += (begin[d]! + i) * strides[d]!;
    }
    out.push(values[offset]!);
  }
  return out;
}

describe('wasm Slice kernel', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('is the registered wasm Slice', () => {
    expect(tf.getKernel(tf.Slice, 'wasm')?.kernelFunc.name).toBe('sliceKernel');
  });

  for (let rank = 1; rank <= 5; rank++) {
    it(`matches a plain-JS slice for random begin/size at rank ${rank} (float32, int32, bool)`, async () => {
      const random = rng(100 + rank);
      const before = tf.memory().numTensors;
      for (let trial = 0; trial < 25; trial++) {
        const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
        const begin = shape.map((d) => Math.floor(random() * d));
        const size = shape.map((d, i) => (random() < 0.2 ? -1 : Math.floor(random() * (d - begin[i]! + 1))));
        const full = size.map((s, i) => (s === -1 ? shape[i]! - begin[i]! : s));
        const n = shape.reduce((p, d) => p * d, 1);
        const values = Float32Array.from({ length: n }, () => random() * 2 - 1);
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          const src =
            dtype === 'float32'
              ? values
              : dtype === 'int32'
                ? Int32Array.from(values, (v) => Math.round(v * 1000))
                : Uint8Array.from(values, (v) => (v > 0 ? 1 : 0));
          const x = tf.tensor(src, shape, dtype);
          const y = tf.slice(x, begin, size);
          expect(y.shape).toEqual(full);
          expect(y.dtype).toBe(dtype);
          expect(Array.from(await y.data())).toEqual(referenceSlice(src, shape, begin, full));
          tf.dispose([x, y]);
        }
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('keeps tf.unstack and tf.split correct on a [4, 3, 5] tensor', async () => {
    const before = tf.memory().numTensors;
    const values = Float32Array.from({ length: 60 }, (_, i) => i);
    const x = tf.tensor3d(values, [4, 3, 5]);
    const parts = tf.unstack(x, 1);
    expect(parts).toHaveLength(3);
    expect(Array.from(await parts[1]!.data())).toEqual(
      referenceSlice(values, [4, 3, 5], [0, 1, 0], [4, 1, 5]),
    );
    const halves = tf.split(x, [2, 3], 2);
    expect(Array.from(await halves[1]!.data())).toEqual(
      referenceSlice(values, [4, 3, 5], [0, 0, 2], [4, 3, 3]),
    );
    tf.dispose([x, ...parts, ...halves]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
