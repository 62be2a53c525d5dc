import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@hydralora/gpu-backend';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, loadModel, saveModel } from './checkpoint.js';
import type { LlamaForCausalLM } from './model.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/', import.meta.url));

interface Expected {
  input_ids: number[][];
  logits: number[][][];
  padded: { attention_mask: number[][]; logits: number[][][] };
}

/**
 * Bound on max |Δlogit| against the float64 PyTorch reference: float32 rounding measured 1e-6 – 9e-6
 * on the wasm and cpu backends (2026-11-29); 2e-5 leaves ~2× headroom over that rounding and no
 * room for a real difference in the computation.
 */
const LOGIT_TOLERANCE = 2e-5;

function maxAbsDiff(a: number[][][], b: number[][][], rowMask?: number[][]): number {
  let max = 0;
  a.forEach((seq, i) =>
    seq.forEach((row, t) => {
      if (rowMask && rowMask[i]?.[t] === 0) return;
      row.forEach((v, k) => {
        max = Math.max(max, Math.abs(v - (b[i]?.[t]?.[k] as number)));
      });
    }),
  );
  return max;
}

beforeAll(async () => {
  await initBackend();
});

describe.each(['llama-untied', 'llama-tied', 'qwen2-bias'])(
  'logits equal the PyTorch reference: %s',
  (name) => {
    let model: LlamaForCausalLM;
    const expected = JSON.parse(
      fs.readFileSync(path.join(FIXTURES, `${name}.logits.json`), 'utf8'),
    ) as Expected;
    beforeAll(() => {
      model = loadModel(path.join(FIXTURES, name));
    });
    afterAll(() => model.dispose());

    it('unpadded batch: max |Δlogit| ≤ 2e-5', () => {
      const before = tf.memory().numTensors;
      const logits = model.forward({ inputIds: expected.input_ids });
      const got = logits.arraySync();
      logits.dispose();
      const diff = maxAbsDiff(got, expected.logits);
      console.log(`${name}: max |Δlogit| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(LOGIT_TOLERANCE);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('left-padded batch with HF position ids: max |Δlogit| ≤ 2e-5 on real tokens', () => {
      const mask = expected.padded.attention_mask;
      const logits = model.forward({ inputIds: expected.input_ids, attentionMask: mask });
      const got = logits.arraySync();
      logits.dispose();
      const diff = maxAbsDiff(got, expected.padded.logits, mask);
      console.log(`${name} (padded): max |Δlogit| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(LOGIT_TOLERANCE);
    });
  },
);

describe('model structure', () => {
  it('names every linear layer as Hugging Face does', () => {
    const model = loadModel(path.join(FIXTURES, 'qwen2-bias'));
    const names = [...model.namedLinears().keys()];
    expect(names).toContain('model.layers.1.self_attn.q_proj');
    expect(names).toContain('model.layers.0.mlp.down_proj');
    expect(names).toContain('lm_head');
    expect(names).toHaveLength(2 * 7 + 1);
    const q = model.namedLinears().get('model.layers.0.self_attn.q_proj');
    expect([q?.inFeatures, q?.outFeatures, q?.weight.shape]).toEqual([32, 32, [32, 32]]);
    expect(q?.bias?.shape).toEqual([32]);
    expect(q?.weight.trainable).toBe(false);
    const k = model.namedLinears().get('model.layers.0.self_attn.k_proj');
    expect([k?.inFeatures, k?.outFeatures]).toEqual([32, 16]);
    model.dispose();
  });

  it('an adapter set on a layer changes the output; removing it restores it', () => {
    const model = loadModel(path.join(FIXTURES, 'llama-untied'));
    const ids = [[5, 6, 7, 8]];
    const base = model.forward({ inputIds: ids });
    const layer = model.namedLinears().get('model.layers.0.self_attn.v_proj');
    let seen: { batch: number; mask: number[][]; comp: number[] } | undefined;
    layer?.setAdapter({
      forward: (x, out, ctx) => {
        seen = {
          batch: ctx.batchSize,
          mask: ctx.attentionMask.arraySync(),
          comp: Array.from(ctx.componentIds ?? []),
        };
        expect(x.shape).toEqual([1, 4, 32]);
        return tf.mul(out, 2);
      },
    });
    const wrapped = model.forward({ inputIds: ids, componentIds: [3] });
    expect(seen).toEqual({ batch: 1, mask: [[1, 1, 1, 1]], comp: [3] });
    expect(tf.max(tf.abs(tf.sub(wrapped, base))).dataSync()[0]).toBeGreaterThan(1e-3);
    layer?.setAdapter(null);
    const again = model.forward({ inputIds: ids });
    expect(tf.max(tf.abs(tf.sub(again, base))).dataSync()[0]).toBe(0);
    tf.dispose([base, wrapped, again]);
    model.dispose();
  });

  it("adapters' auxiliary losses come back summed on forwardWithAux's result, in training only", () => {
    const model = loadModel(path.join(FIXTURES, 'llama-untied'));
    const ids = [[5, 6, 7, 8]];
    const linears = model.namedLinears();
    // Two adapters that each add a loss depending on their input: sum(x²)·c.
    const expected: number[] = [];
    for (const [name, c] of [
      ['model.layers.0.self_attn.q_proj', 0.5],
      ['model.layers.0.mlp.down_proj', 2],
    ] as const) {
      linears.get(name)?.setAdapter({
        forward: (x, out, ctx) => {
          if (ctx.training && ctx.auxLosses) {
            ctx.auxLosses.push(tf.mul(tf.sum(tf.square(x)), c) as tf.Scalar);
            expect(ctx.auxLosses.length).toBeLessThanOrEqual(2);
          }
          expected.push(tf.sum(tf.square(x)).dataSync()[0]! * c);
          return out;
        },
      });
    }
    const inference = model.forwardWithAux({ inputIds: ids });
    expect(inference.auxLoss).toBeNull();
    expected.length = 0;
    const before = tf.memory().numTensors;
    const training = model.forwardWithAux({ inputIds: ids, training: true });
    expect(training.auxLoss!.dataSync()[0]).toBeCloseTo(expected[0]! + expected[1]!, 3);
    tf.dispose([training.logits, training.auxLoss!]);
    expect(tf.memory().numTensors).toBe(before);
    const { loss, auxLoss } = model.lossWithAux(ids, [[-100, 6, 7, 8]], { training: true });
    expect(auxLoss!.dataSync()[0]).toBeCloseTo(expected.at(-2)! + expected.at(-1)!, 3);
    const plain = model.loss(ids, [[-100, 6, 7, 8]], { training: true });
    expect(plain.dataSync()[0]).toBeCloseTo(loss.dataSync()[0]!, 6);
    tf.dispose([inference.logits, loss, auxLoss!, plain]);
    for (const l of linears.values()) l.setAdapter(null);
    model.dispose();
  });

  it('saveModel then loadModel reproduces the logits (tied and untied)', () => {
    for (const name of ['llama-tied', 'llama-untied']) {
      const model = loadModel(path.join(FIXTURES, name));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'models-save-'));
      saveModel(model, dir);
      const again = loadModel(dir);
      const ids = [[1, 2, 3, 4, 5]];
      const a = model.forward({ inputIds: ids });
      const b = again.forward({ inputIds: ids });
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
      tf.dispose([a, b]);
      model.dispose();
      again.dispose();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('dispose frees every tensor the model created', () => {
    const before = tf.memory().numTensors;
    const model = loadModel(path.join(FIXTURES, 'llama-tied'));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('loss', () => {
  const config = {
    vocab_size: 40,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 1,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: true,
  };

  it('equals the mean of −log-softmax at the shifted, non-ignored labels', () => {
    const model = createModel(config, { seed: 3, std: 0.3 });
    const ids = [
      [1, 5, 9, 3],
      [7, 2, 2, 8],
    ];
    const labels = [
      [1, 5, -100, 3],
      [7, 2, 2, 8],
    ];
    const loss = model.loss(ids, labels).dataSync()[0] as number;
    const logits = model.forward({ inputIds: ids });
    const rows = logits.arraySync();
    logits.dispose();
    let sum = 0;
    let n = 0;
    rows.forEach((seq, b) => {
      for (let t = 0; t < 3; t++) {
        const label = labels[b]?.[t + 1] as number;
        if (label === -100) continue;
        const row = seq[t] as number[];
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
        sum += lse - (row[label] as number);
        n++;
      }
    });
    expect(n).toBe(5);
    expect(loss).toBeCloseTo(sum / n, 5);
    model.dispose();
  });

  it('full-training gradients match central finite differences', () => {
    const model = createModel(config, { seed: 4, std: 0.3, perturbNorms: true, trainable: true });
    const ids = [[3, 1, 4, 1, 5, 9]];
    const before = tf.memory().numTensors;
    const params = model.parameters();
    const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), [...params.values()]);
    value.dispose();
    expect(Object.keys(grads).length).toBe(params.size);
    const probes: [string, number][] = [
      ['model.embed_tokens.weight', 4 * 16 + 3],
      ['model.layers.0.self_attn.q_proj.weight', 17],
      ['model.layers.0.self_attn.k_proj.weight', 5],
      ['model.layers.0.mlp.down_proj.weight', 30],
      ['model.layers.0.input_layernorm.weight', 2],
      ['model.norm.weight', 7],
    ];
    const lossAt = () => tf.tidy(() => model.loss(ids, ids).dataSync()[0] as number);
    for (const [name, index] of probes) {
      const v = params.get(name) as tf.Variable;
      const g = (grads[v.name] as tf.Tensor).dataSync()[index] as number;
      const data = v.dataSync().slice() as Float32Array;
      const h = 1e-2;
      const orig = data[index] as number;
      data[index] = orig + h;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
      const up = lossAt();
      data[index] = orig - h;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
      const down = lossAt();
      data[index] = orig;
      tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
      const numeric = (up - down) / (2 * h);
      expect(Math.abs(g - numeric), `${name}[${index}]: analytic ${g} vs numeric ${numeric}`).toBeLessThan(
        2e-3 + 0.02 * Math.abs(numeric),
      );
    }
    tf.dispose(Object.values(grads));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('a frozen model has no trainable variables; gradients reach only adapter variables', () => {
    const model = createModel(config, { seed: 5 });
    for (const v of model.parameters().values()) expect(v.trainable).toBe(false);
    const delta = tf.variable(tf.zeros([16]), true, 'test-delta');
    model
      .namedLinears()
      .get('model.layers.0.self_attn.o_proj')
      ?.setAdapter({
        forward: (_x, base) => tf.add(base, delta),
      });
    // every trainable variable registered with tfjs (the default var list) gets a gradient: the
    // frozen base weights are not among them
    const { value, grads } = tf.variableGrads(() => model.loss([[1, 2, 3]], [[1, 2, 3]]));
    value.dispose();
    expect(Object.keys(grads)).toEqual(['test-delta']);
    expect(Number.isFinite(tf.sum(tf.abs(grads['test-delta'] as tf.Tensor)).dataSync()[0])).toBe(true);
    tf.dispose(Object.values(grads));
    delta.dispose();
    model.dispose();
  });
});

describe('fast products against tfjs default ops', () => {
  it('logits and full-training gradients agree with tf.matMul and its default gradients', async () => {
    const { setProductOps } = await import('./products.js');
    const model = createModel(
      {
        vocab_size: 50,
        hidden_size: 16,
        intermediate_size: 24,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        tie_word_embeddings: true,
        attention_bias: true,
      },
      { seed: 9, std: 0.3, trainable: true },
    );
    const ids = [
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ];
    const params = [...model.parameters().values()];
    const run = () => {
      const { value, grads } = tf.variableGrads(() => model.loss(ids, ids), params);
      const out = {
        loss: value.dataSync()[0] as number,
        grads: params.map((p) => Array.from((grads[p.name] as tf.Tensor).dataSync())),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const fast = run();
    setProductOps('tfjs-default');
    let slow: ReturnType<typeof run>;
    try {
      slow = run();
    } finally {
      setProductOps('fast');
    }
    expect(fast.loss).toBeCloseTo(slow.loss, 5);
    let maxDiff = 0;
    fast.grads.forEach((g, i) =>
      g.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - (slow.grads[i]?.[j] as number))))),
    );
    expect(maxDiff).toBeLessThan(1e-5);
    model.dispose();
  });
});
