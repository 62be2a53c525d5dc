import { type ProgressReporter, silentProgress } from '../progress.js';

/**
 * Applies `run` to consecutive slices of at most `batchSize` items, in order, and concatenates
 * the results; checks that every batch returns one result per item.
 */
export async function mapInBatches<T, R>(
  items: readonly T[],
  batchSize: number,
  run: (batch: T[]) => Promise<R[]>,
  progress: ProgressReporter = silentProgress,
  label = 'eval',
): Promise<R[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const out: R[] = [];
  progress.start(items.length, label);
  try {
    for (let start = 0; start < items.length; start += batchSize) {
      const batch = items.slice(start, start + batchSize);
      const results = await run(batch);
      if (results.length !== batch.length) {
        throw new Error(`the model returned ${results.length} results for a batch of ${batch.length}`);
      }
      out.push(...results);
      progress.increment(batch.length);
    }
  } finally {
    progress.stop();
  }
  return out;
}

/** Runs `run` on every item with at most `concurrency` in flight; results keep the input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  run: (item: T, index: number) => Promise<R>,
  onDone: () => void = () => {},
): Promise<R[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await run(items[index] as T, index);
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
