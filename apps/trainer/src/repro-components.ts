/**
 * Per-component LoRAs on the embedded default, shared by two rows of `hydralora repro`: LoraHub's
 * pool, and the paper's Table 1 comparison (one LoRA per component, each scored on its own
 * component: routing by the known component, an oracle), which is paired against one LoRA of the
 * same total size trained on the whole mix.
 *
 * One LoRA r=8 is trained per component on that component's training examples only, with the row's
 * step budget shared among them (⌈steps/K⌉ steps each), so that the K LoRAs see as many examples
 * in all as one LoRA of the comparison.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '@hydralora/common';
import type { Pretrained } from '@hydralora/models';
import type { InstructionExample } from './embedded/index.js';
import { evaluateExamples } from './evaluate.js';
import { type EmbeddedSetup, type EvalScores, type RunOptions, trainRun } from './run-embedded.js';

/** Rank of each per-component LoRA (LoraHub's pool and the Table 1 row). */
export const COMPONENT_LORA_RANK = 8;

/** What training the per-component LoRAs cost and produced. */
export interface ComponentLoras {
  /** The saved adapters, one per component, in the setup's component order. */
  dirs: string[];
  stepsPerLora: number;
  trainSeconds: number;
  energyKWh: number;
  energyEstimated: boolean;
  /** Trainable parameters and % of the base of one LoRA. */
  trainable: number;
  percent: number;
}

const jsonLine = (e: InstructionExample) =>
  JSON.stringify({ instruction: e.instruction, input: e.input, output: e.output, component: e.component });

/**
 * Train one LoRA r=8 per component (⌈steps/K⌉ steps each). `whileLoaded`, when given, runs after
 * each training with the fine-tuned model still loaded (the adapter active), before it is freed.
 */
export async function trainComponentLoras(
  setup: EmbeddedSetup,
  o: RunOptions,
  spec: { label: string; out: string; seed: number },
  whileLoaded?: (component: string, ft: Awaited<ReturnType<typeof trainRun>>) => Promise<void>,
): Promise<ComponentLoras> {
  const { components, corpus } = setup;
  const stepsPerLora = Math.max(1, Math.ceil(o.steps / components.length));
  const result: ComponentLoras = {
    dirs: [],
    stepsPerLora,
    trainSeconds: 0,
    energyKWh: 0,
    energyEstimated: false,
    trainable: 0,
    percent: 0,
  };
  mkdirSync(path.join(spec.out, 'data'), { recursive: true });
  for (const c of components) {
    const rows = corpus.train.filter((e) => e.component === c);
    if (rows.length === 0) throw new Error(`${spec.label}: component '${c}' has no training examples`);
    const data = path.join(spec.out, 'data', `${c}.jsonl`);
    writeFileAtomicSync(data, `${rows.map(jsonLine).join('\n')}\n`);
    o.onInfo?.(
      `${spec.label}: LoRA r=${COMPONENT_LORA_RANK} on ${c} (${rows.length} examples, ${stepsPerLora} steps)`,
    );
    const ft = await trainRun(setup, o, {
      label: `${spec.label} ${c}`,
      out: path.join(spec.out, 'loras', c),
      method: 'lora',
      r: COMPONENT_LORA_RANK,
      heads: 1,
      seed: spec.seed,
      data,
      steps: stepsPerLora,
    });
    try {
      result.dirs.push(ft.adapterDir);
      result.trainSeconds += ft.seconds;
      result.energyKWh += ft.energy.totalKWh;
      result.energyEstimated ||= ft.energy.estimated;
      result.trainable = ft.trainable;
      result.percent = ft.basePercent;
      await whileLoaded?.(c, ft);
    } finally {
      ft.adapter.dispose();
      ft.pretrained.model.dispose();
    }
  }
  return result;
}

/**
 * Score `pretrained` on component `c`'s held-out examples only: their right/wrong go into `hits`
 * (indexed like `test`, the other entries untouched); returns the component's accuracy. The rows
 * that use a different model per component (LoraHub, the Table 1 row) fill `hits` this way.
 */
export async function scoreComponent(
  pretrained: Pretrained,
  test: readonly InstructionExample[],
  c: string,
  hits: boolean[],
): Promise<number> {
  const where = test.flatMap((e, i) => (e.component === c ? [i] : []));
  const ev = await evaluateExamples(
    pretrained,
    where.map((i) => test[i]!),
  );
  where.forEach((i, j) => {
    hits[i] = ev.report.hits[j]!;
  });
  return ev.report.overall.accuracy;
}

/**
 * The Table 1 row: the per-component LoRAs, each scored on its own component's held-out examples
 * (the component picks the LoRA). `trainable` and `percent` count all K LoRAs.
 */
export async function runPerComponentRepro(
  setup: EmbeddedSetup,
  o: RunOptions,
  spec: { label: string; out: string; seed: number },
): Promise<{ run: EvalScores & { history: [] }; pool: ComponentLoras }> {
  const { corpus } = setup;
  const hits: boolean[] = new Array(corpus.test.length).fill(false);
  const perComponent: Record<string, number> = {};
  const loras = await trainComponentLoras(setup, o, spec, async (c, ft) => {
    perComponent[c] = await scoreComponent(ft.pretrained, corpus.test, c, hits);
    o.onInfo?.(`${spec.label}: ${c}: accuracy ${(100 * perComponent[c]).toFixed(1)}% with its own LoRA`);
  });
  const k = setup.components.length;
  const run = {
    perComponent,
    overall: hits.filter(Boolean).length / Math.max(1, hits.length),
    hits,
    trainable: k * loras.trainable,
    percent: k * loras.percent,
    trainSeconds: loras.trainSeconds,
    energyKWh: loras.energyKWh,
    energyEstimated: loras.energyEstimated,
    history: [] as [],
  };
  return { run, pool: loras };
}
