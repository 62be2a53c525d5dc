/**
 * The LoraHub row of `hydralora repro` (Huang et al., 2023; the HydraLoRA paper's Table 3): one
 * LoRA r=8 is trained per component of the mix on that component's training examples only, with
 * the row's step budget shared among them (⌈steps/K⌉ steps each, so that the K LoRAs see as many
 * examples in all as one LoRA r=8 of the comparison). Then, for each component, `loraHub` fits
 * the K weights on the first {@link LORAHUB_REPRO}.examples training examples of that component
 * (gradient-free, NLopt's Nelder–Mead, 40 loss evaluations, L1 0.05: the paper's settings), and
 * the composed LoRA is scored on that component's held-out examples. The pool holds the
 * component's own LoRA too, as every other row of the comparison trains on every component.
 *
 * Each composed adapter is saved (PEFT's LORA layout) with `lorahub.json` (the weights and every
 * evaluation) under `runs/lorahub-seed<S>/<component>/`.
 */
import path from 'node:path';
import { writeFileAtomicSync } from '@hydralora/common';
import { saveAdapter } from '@hydralora/core-adapters';
import { EnergyMeter } from '@hydralora/gpu-backend';
import { loadPretrained } from '@hydralora/models';
import { loraHub, textTokenizer, toInstructionRecords } from '@hydralora/trainer';
import {
  COMPONENT_LORA_RANK,
  type ComponentLoras,
  scoreComponent,
  trainComponentLoras,
} from './repro-components.js';
import type { EmbeddedSetup, EvalScores, RunOptions } from './run-embedded.js';

/** The row's settings: the LoRAs' rank, the examples the weights are fitted on, the search budget. */
export const LORAHUB_REPRO = { r: COMPONENT_LORA_RANK, examples: 20, maxEvaluations: 40 } as const;

/** What the search found for each component (in the setup's component order). */
export interface LoraHubCell {
  /** The LoRAs of the pool: one per component, in this order. */
  adapters: string[];
  /** Steps each LoRA of the pool trained. */
  stepsPerLora: number;
  /** Examples the weights were fitted on, per component. */
  examples: Record<string, number>;
  /** The best weights per target component, one per LoRA of `adapters`. */
  weights: Record<string, number[]>;
  /** Fitted-example loss: the base model (w = 0), the plain average (w = 1/K), the best found. */
  baseLoss: Record<string, number>;
  averageLoss: Record<string, number>;
  loss: Record<string, number>;
  /** Loss evaluations the search used. */
  evaluations: Record<string, number>;
}

export type LoraHubRun = EvalScores & { history: []; lorahub: LoraHubCell };

/**
 * Train the per-component LoRAs (or take `trained`, the pool the Table 1 row of the same seed
 * trained: the same LoRAs), compose them per component with LoraHub, score the compositions. The
 * row's training time and energy include the pool's either way.
 */
export async function runLoraHubRepro(
  setup: EmbeddedSetup,
  o: RunOptions,
  spec: { label: string; out: string; seed: number },
  trained?: ComponentLoras,
): Promise<LoraHubRun> {
  const { components, corpus } = setup;
  const pool = trained ?? (await trainComponentLoras(setup, o, spec));
  const { dirs, stepsPerLora } = pool;
  let trainSeconds = pool.trainSeconds;
  let energyKWh = pool.energyKWh;
  let energyEstimated = pool.energyEstimated;

  const cell: LoraHubCell = {
    adapters: [...components],
    stepsPerLora,
    examples: {},
    weights: {},
    baseLoss: {},
    averageLoss: {},
    loss: {},
    evaluations: {},
  };
  const hits: boolean[] = new Array(corpus.test.length).fill(false);
  const perComponent: Record<string, number> = {};
  const pretrained = await loadPretrained(o.model);
  try {
    const tokenizer = textTokenizer(pretrained);
    for (const c of components) {
      const fit = corpus.train.filter((e) => e.component === c).slice(0, LORAHUB_REPRO.examples);
      const examples = toInstructionRecords(fit, { tokenizer, source: `lorahub: ${c} training examples` });
      // the search counts as the row's training (time and energy); the scoring does not
      const meter = await EnergyMeter.start();
      const t0 = performance.now();
      const result = await loraHub(pretrained, {
        adapters: dirs,
        examples,
        maxEvaluations: LORAHUB_REPRO.maxEvaluations,
        adapterName: 'lorahub',
      }).finally(async () => {
        trainSeconds += (performance.now() - t0) / 1000;
        const energy = await meter.stop();
        energyKWh += energy.totalKWh;
        energyEstimated ||= energy.estimated;
      });
      try {
        perComponent[c] = await scoreComponent(pretrained, corpus.test, c, hits);
        const dir = path.join(spec.out, c);
        await saveAdapter(result.adapter, path.join(dir, 'adapter'), { adapter: 'lorahub' });
        cell.examples[c] = examples.length;
        cell.weights[c] = result.weights;
        cell.baseLoss[c] = result.history[0]!.loss;
        cell.averageLoss[c] = result.averageLoss;
        cell.loss[c] = result.loss;
        cell.evaluations[c] = result.history.length;
        writeFileAtomicSync(
          path.join(dir, 'lorahub.json'),
          `${JSON.stringify(
            {
              component: c,
              adapters: dirs,
              weights: result.weights,
              loss: result.loss,
              baseLoss: cell.baseLoss[c],
              averageLoss: result.averageLoss,
              accuracy: perComponent[c],
              history: result.history,
            },
            null,
            2,
          )}\n`,
        );
        o.onInfo?.(
          `${spec.label}: ${c}: weights [${result.weights.map((w) => w.toFixed(2)).join(', ')}] (${components.join(', ')}), accuracy ${(100 * perComponent[c]).toFixed(1)}%`,
        );
      } finally {
        result.adapter.deleteAdapter('lorahub');
      }
    }
  } finally {
    pretrained.model.dispose();
  }
  return {
    perComponent,
    overall: hits.filter(Boolean).length / Math.max(1, hits.length),
    hits,
    trainable: pool.trainable,
    percent: pool.percent,
    trainSeconds,
    energyKWh,
    energyEstimated,
    history: [],
    lorahub: cell,
  };
}
