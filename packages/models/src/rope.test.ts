import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { applyRotary, inverseFrequencies, rotaryTables } from './rope.js';

beforeAll(async () => {
  await initBackend();
});

const base = {
  vocab_size: 10,
  hidden_size: 128,
  intermediate_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
};

describe('rotary embeddings', () => {
  it('rotates each (x_i, x_{i+d/2}) pair by position · θ^(−2i/d)', () => {
    const config = parseConfig({ ...base, rope_theta: 100 });
    const inv = inverseFrequencies(config, 4); // [1, 100^(−1/2)] = [1, 0.1]
    expect(Array.from(inv)).toEqual([1, 0.1]);
    const { cos, sin } = rotaryTables(Int32Array.from([3]), 1, 1, inv);
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    const y = applyRotary(x, cos, sin).dataSync();
    // pair (x0, x2) = (1, 3) by angle 3; pair (x1, x3) = (2, 4) by angle 0.3
    const rot = (a: number, b: number, t: number) => [
      a * Math.cos(t) - b * Math.sin(t),
      b * Math.cos(t) + a * Math.sin(t),
    ];
    const [y0, y2] = rot(1, 3, 3);
    const [y1, y3] = rot(2, 4, 0.3);
    [y0, y1, y2, y3].forEach((v, i) => expect(y[i]).toBeCloseTo(v as number, 5));
    tf.dispose([x, cos, sin]);
  });

  it('linear scaling divides the frequencies; llama3 keeps short wavelengths and divides long ones', () => {
    const plain = inverseFrequencies(parseConfig({ ...base, rope_theta: 500000 }), 64);
    const linear = inverseFrequencies(
      parseConfig({ ...base, rope_theta: 500000, rope_scaling: { rope_type: 'linear', factor: 4 } }),
      64,
    );
    linear.forEach((f, i) => expect(f).toBeCloseTo((plain[i] as number) / 4, 15));
    const l3 = inverseFrequencies(
      parseConfig({
        ...base,
        rope_theta: 500000,
        rope_scaling: {
          rope_type: 'llama3',
          factor: 8,
          low_freq_factor: 1,
          high_freq_factor: 4,
          original_max_position_embeddings: 8192,
        },
      }),
      64,
    );
    l3.forEach((f, i) => {
      const wavelen = (2 * Math.PI) / (plain[i] as number);
      if (wavelen < 8192 / 4) expect(f).toBe(plain[i]);
      else if (wavelen > 8192) expect(f).toBeCloseTo((plain[i] as number) / 8, 15);
      else {
        expect(f).toBeLessThan(plain[i] as number);
        expect(f).toBeGreaterThan((plain[i] as number) / 8);
      }
    });
    expect(l3[0]).toBe(1);
    expect(l3[31]).toBeCloseTo((plain[31] as number) / 8, 15);
  });
});
