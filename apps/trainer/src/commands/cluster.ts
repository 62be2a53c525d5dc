/**
 * `hydralora cluster FILE [--fields instruction,input] [--k-max N] [--k N] [--seed S] [--json] …`:
 * finds the corpus's intrinsic components (TF-IDF, k-means for K = 1..N, elbow) with
 * @hydralora/intrinsic-clustering. This file only parses flags, draws progress and prints.
 */
import {
  type ClusterConfigInput,
  findComponents,
  formatSummary,
  loadCorpus,
  type ProgressEvent,
  saveModel,
  toReport,
} from '@hydralora/intrinsic-clustering';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { intOption } from '../util/options.js';

/** The parsed flags. */
export interface ClusterCommandOptions {
  fields: string[];
  kMax: number;
  k?: number;
  seed: number;
  json?: boolean;
  reduction: 'sparse' | 'svd';
  stopWords?: boolean;
  minDf?: number;
  maxDf?: number;
  sublinearTf?: boolean;
  criterion?: 'elbow' | 'silhouette';
  algorithm?: 'kmeans' | 'spectral' | 'auto';
  ngram: [number, number];
  /** k-means++ starts per K; unset: the library's (3 for k-means, 10 for spectral). */
  restarts?: number;
  saveModel?: string;
  progress: boolean;
  quiet?: boolean;
}

function documentFrequency(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n >= 0) || (!Number.isInteger(n) && n >= 1)) {
      throw new InvalidArgumentError(
        `${flag} must be a document count (integer) or a proportion in (0, 1), got '${value}'`,
      );
    }
    return n;
  };
}

function fieldList(value: string): string[] {
  const fields = value.split(',').map((f) => f.trim());
  if (fields.some((f) => f === ''))
    throw new InvalidArgumentError(`--fields must be comma-separated names, got '${value}'`);
  return fields;
}

function ngramRange(value: string): [number, number] {
  const parts = value.split(',').map(Number);
  const [min, max] = parts.length === 1 ? [parts[0]!, parts[0]!] : parts;
  if (parts.length > 2 || !Number.isInteger(min) || !Number.isInteger(max) || min! < 1 || max! < min!) {
    throw new InvalidArgumentError(`--ngram must be MIN,MAX with 1 <= MIN <= MAX, got '${value}'`);
  }
  return [min!, max!];
}

/** A cli-progress bar on stderr that follows the library's progress events. */
function progressBar(): { update: (event: ProgressEvent) => void; stop: () => void } {
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'cluster {stage} [{bar}] {value}/{total}',
    clearOnComplete: true,
    hideCursor: true,
  });
  let stage = '';
  return {
    update: (event) => {
      if (event.stage !== stage) {
        if (stage) bar.stop();
        stage = event.stage;
        bar.start(event.total, event.done, { stage: event.stage === 'kmeans' ? 'k-means K' : event.stage });
      } else bar.update(event.done);
    },
    stop: () => {
      if (stage) bar.stop();
    },
  };
}

/** Runs the command: returns the text printed on stdout. */
export async function runCluster(file: string, options: ClusterCommandOptions): Promise<string> {
  const texts = await loadCorpus(file, { fields: options.fields });
  const config: ClusterConfigInput = {
    kMax: options.kMax,
    k: options.k,
    seed: options.seed,
    ...(options.restarts !== undefined ? { restarts: options.restarts } : {}),
    reduction: options.reduction,
    ...(options.criterion ? { criterion: options.criterion } : {}),
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    tfidf: {
      stopWords: options.stopWords ? 'english' : undefined,
      minDf: options.minDf,
      maxDf: options.maxDf,
      sublinearTf: options.sublinearTf,
      ngramRange: options.ngram,
    },
  };
  const bar = options.progress ? progressBar() : undefined;
  let result: ReturnType<typeof findComponents>;
  try {
    result = findComponents(texts, config, bar?.update);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  } finally {
    bar?.stop();
  }
  for (const warning of result.warnings) process.stderr.write(`hydralora: warning: ${file}: ${warning}\n`);
  if (options.saveModel) await saveModel(result.model, options.saveModel);
  return options.json ? JSON.stringify(toReport(result)) : formatSummary(result);
}

export function register(program: Command): void {
  program
    .command('cluster')
    .description(
      "find the corpus's intrinsic components: TF-IDF, k-means for K = 1..k-max, K by the silhouette (or the SSE elbow)",
    )
    .argument('<file>', 'corpus: .json (array of rows), .jsonl, or .txt (one document per line)')
    .addOption(
      new Option('--fields <names>', 'JSON fields joined into a document')
        .argParser(fieldList)
        .default(['instruction', 'input', 'output'], 'instruction,input,output'),
    )
    .option('--k-max <n>', 'largest K on the elbow curve', intOption('--k-max', 1), 10)
    .option('--k <n>', 'force this K instead of the elbow', intOption('--k', 1))
    .option('--seed <s>', 'random seed', intOption('--seed', 0), 0)
    .option(
      '--restarts <n>',
      'k-means++ starts per K (default: 3 with k-means, 10 with spectral)',
      intOption('--restarts', 1),
    )
    .option(
      '--reduction <kind>',
      "'sparse' (default) or 'svd' (LSA, 100 dims)",
      (v: string) => {
        if (v !== 'sparse' && v !== 'svd')
          throw new InvalidArgumentError(`--reduction must be sparse or svd, got '${v}'`);
        return v;
      },
      'sparse',
    )
    .option('--stop-words', 'drop English stop words')
    .option(
      '--min-df <n>',
      'ignore terms in fewer documents (count, or proportion in (0,1); default 2)',
      documentFrequency('--min-df'),
    )
    .option(
      '--max-df <n>',
      'ignore terms in more documents (count, or proportion in (0,1))',
      documentFrequency('--max-df'),
    )
    .option('--sublinear-tf', 'use 1 + ln(tf) (the default)')
    .option('--no-sublinear-tf', 'use raw term counts')
    .option(
      '--criterion <name>',
      "how K is chosen: 'silhouette' (default, largest cosine silhouette) or 'elbow' (Kneedle on the SSE curve)",
      (v: string) => {
        if (v !== 'elbow' && v !== 'silhouette')
          throw new InvalidArgumentError(`--criterion must be silhouette or elbow, got '${v}'`);
        return v;
      },
    )
    .option(
      '--algorithm <name>',
      "'kmeans' (default, the paper's), 'spectral' (cosine kNN graph + Ng–Jordan–Weiss) or 'auto' (spectral up to 5000 documents)",
      (v: string) => {
        if (v !== 'kmeans' && v !== 'spectral' && v !== 'auto')
          throw new InvalidArgumentError(`--algorithm must be kmeans, spectral or auto, got '${v}'`);
        return v;
      },
    )
    .addOption(
      new Option('--ngram <min,max>', 'word n-gram range').argParser(ngramRange).default([1, 1], '1,1'),
    )
    .option('--save-model <path>', 'write the fitted model (vocabulary, idf, centroids) as JSON')
    .option('--json', 'print JSON: k, sse, labels, sizes, top_terms, …')
    .option('--no-progress', 'no progress bar (it is drawn on stderr only when stderr is a terminal)')
    .action(async (file: string, options: ClusterCommandOptions) => {
      const output = await runCluster(file, {
        ...options,
        progress: options.progress && !options.quiet && process.stderr.isTTY === true,
      });
      process.stdout.write(`${output}\n`);
    });
}
