import type { InstructionExample } from './types.js';

/**
 * Calls `make` until `count` examples with distinct inputs (and none in `exclude`) are
 * collected. Throws, naming the component, when the source cannot supply that many.
 */
export function sampleUnique(
  component: string,
  count: number,
  make: () => InstructionExample | undefined,
  exclude: ReadonlySet<string> = new Set(),
): InstructionExample[] {
  const seen = new Set<string>();
  const out: InstructionExample[] = [];
  const maxAttempts = 50 * count + 1000;
  for (let attempt = 0; out.length < count && attempt < maxAttempts; attempt++) {
    const example = make();
    if (!example || seen.has(example.input) || exclude.has(example.input)) continue;
    seen.add(example.input);
    out.push(example);
  }
  if (out.length < count) {
    throw new Error(
      `instruction corpus: component "${component}" could only produce ${out.length} distinct examples, ` +
        `${count} were asked for`,
    );
  }
  return out;
}

/** Builds the train split, then a test split whose inputs never occur in train. */
export function sampleSplits(
  component: string,
  sizes: { train: number; test: number },
  makeTrain: () => InstructionExample | undefined,
  makeTest: () => InstructionExample | undefined,
): { train: InstructionExample[]; test: InstructionExample[] } {
  const train = sampleUnique(component, sizes.train, makeTrain);
  const test = sampleUnique(component, sizes.test, makeTest, new Set(train.map((e) => e.input)));
  return { train, test };
}
