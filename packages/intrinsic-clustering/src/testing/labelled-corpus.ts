/**
 * A corpus with known components, built from the real benchmark files in the shared data folder
 * (`HYDRALORA_DATA_DIR`, default `../shared/data` from the repository root): the proof that the
 * clustering recovers them, and the bench's input. Published as `@hydralora/intrinsic-clustering/testing`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createRng } from '@hydralora/common';

/** The sources, in label order. */
export const SOURCES = ['gsm8k', 'humaneval', 'bbh', 'mmlu', 'codealpaca'] as const;

/** BBH tasks pooled into the one `bbh` component. */
export const BBH_TASKS = ['date_understanding', 'navigate', 'sports_understanding'] as const;

/** The data folder, or `undefined` when it does not exist (callers skip). */
export function resolveDataDir(repoRoot: string): string | undefined {
  const dir = process.env.HYDRALORA_DATA_DIR ?? resolve(repoRoot, '..', 'shared', 'data');
  return existsSync(join(dir, 'gsm8k')) ? dir : undefined;
}

/** Minimal RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const jsonl = (text: string) =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, string>);

/** Every document of each source (unsampled), in a fixed order. */
export function readSources(
  dataDir: string,
): Record<(typeof SOURCES)[number], string[]> & { bbhTasks: Record<(typeof BBH_TASKS)[number], string[]> } {
  const read = (...parts: string[]) => readFileSync(join(dataDir, ...parts), 'utf8');
  const mmluDir = join(dataDir, 'mmlu', 'test');
  const bbhTasks = Object.fromEntries(
    BBH_TASKS.map((task) => [
      task,
      (JSON.parse(read('bbh', `${task}.json`)) as { examples: { input: string }[] }).examples.map(
        (e) => e.input,
      ),
    ]),
  ) as Record<(typeof BBH_TASKS)[number], string[]>;
  return {
    bbhTasks,
    gsm8k: [...jsonl(read('gsm8k', 'train.jsonl')), ...jsonl(read('gsm8k', 'test.jsonl'))].map(
      (r) => r.question!,
    ),
    humaneval: jsonl(
      gunzipSync(readFileSync(join(dataDir, 'humaneval', 'HumanEval.jsonl.gz'))).toString('utf8'),
    ).map((r) => r.prompt!),
    bbh: BBH_TASKS.flatMap((task) => bbhTasks[task]),
    mmlu: readdirSync(mmluDir)
      .sort()
      .flatMap((name) => parseCsv(readFileSync(join(mmluDir, name), 'utf8')).map((r) => r[0]!)),
    codealpaca: (JSON.parse(read('codealpaca', 'code_alpaca_2k.json')) as { instruction: string }[]).map(
      (r) => r.instruction,
    ),
  };
}

/** A labelled corpus: documents, their component, and their source file family. */
export interface LabelledCorpus {
  texts: string[];
  /** Component index per document: each source, with the BBH tasks as separate components. */
  labels: number[];
  /** Component names, indexed by `labels`. */
  components: string[];
  /** Source index per document (into {@link SOURCES}): the BBH tasks share one. */
  sources: number[];
}

/**
 * A seeded sample, shuffled together: `perSource` documents of each source, the BBH share split
 * evenly over {@link BBH_TASKS} (each task a component of its own: their templates differ).
 */
export function labelledCorpus(dataDir: string, perSource: number, seed = 0): LabelledCorpus {
  const sources = readSources(dataDir);
  const random = createRng(seed);
  const components: string[] = [];
  const items: [string, number, number][] = [];
  const take = (pool: readonly string[], count: number, name: string, source: number) => {
    const copy = [...pool];
    if (copy.length < count) throw new Error(`${name}: only ${copy.length} documents, asked for ${count}`);
    const label = components.push(name) - 1;
    for (let i = 0; i < count; i++) {
      const j = i + random.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      items.push([copy[i]!, label, source]);
    }
  };
  SOURCES.forEach((name, source) => {
    if (name !== 'bbh') return take(sources[name], perSource, name, source);
    const perTask = Math.floor(perSource / BBH_TASKS.length);
    BBH_TASKS.forEach((task) => {
      take(sources.bbhTasks[task], perTask, `bbh/${task}`, source);
    });
  });
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return {
    texts: items.map((item) => item[0]),
    labels: items.map((item) => item[1]),
    components,
    sources: items.map((item) => item[2]),
  };
}

/**
 * `size` documents drawn from every source (all of each, repeated as needed), each copy
 * perturbed (about 10% of words dropped, digits redrawn) so repeats are not exact duplicates.
 */
export function syntheticCorpus(
  dataDir: string,
  size: number,
  seed = 0,
): { texts: string[]; labels: number[] } {
  const sources = readSources(dataDir);
  const pool: [string, number][] = SOURCES.flatMap((name, label) =>
    sources[name].map((t): [string, number] => [t, label]),
  );
  const random = createRng(seed);
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < size; i++) {
    const [text, label] = pool[random.int(pool.length)]!;
    const words = text.split(/\s+/).filter(() => random.next() >= 0.1);
    texts.push(words.join(' ').replace(/[0-9]/g, () => String(random.int(10))));
    labels.push(label);
  }
  return { texts, labels };
}

/**
 * A second labelled mix, with no component in common with {@link labelledCorpus}: four MMLU
 * subjects (the same question format, different topics) and four BBH tasks (each its own
 * template). Held out from the choice of the default pipeline (see `bench/n-selection.mjs`).
 */
export const SUBJECT_MIX = [
  'mmlu/clinical_knowledge',
  'mmlu/high_school_macroeconomics',
  'mmlu/professional_law',
  'mmlu/astronomy',
  'bbh/causal_judgement',
  'bbh/logical_deduction_three_objects',
  'bbh/word_sorting',
  'bbh/movie_recommendation',
] as const;

/** The documents of one `mmlu/<subject>` (test questions) or `bbh/<task>` (inputs) component. */
export function readComponent(dataDir: string, name: string): string[] {
  const [kind, item] = name.split('/');
  if (kind === 'mmlu' && item) {
    const file = join(dataDir, 'mmlu', 'test', `${item}_test.csv`);
    if (!existsSync(file)) throw new Error(`component ${name}: no file ${file}`);
    return parseCsv(readFileSync(file, 'utf8')).map((r) => r[0]!);
  }
  if (kind === 'bbh' && item) {
    const file = join(dataDir, 'bbh', `${item}.json`);
    if (!existsSync(file)) throw new Error(`component ${name}: no file ${file}`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { examples: { input: string }[] }).examples.map(
      (e) => e.input,
    );
  }
  throw new Error(`component ${JSON.stringify(name)}: expected "mmlu/<subject>" or "bbh/<task>"`);
}

/** A seeded sample of `perComponent` documents of each named component, shuffled together. */
export function labelledMix(
  dataDir: string,
  names: readonly string[],
  perComponent: number,
  seed = 0,
): LabelledCorpus {
  const random = createRng(seed);
  const items: [string, number][] = [];
  names.forEach((name, label) => {
    const copy = readComponent(dataDir, name);
    if (copy.length < perComponent) {
      throw new Error(`${name}: only ${copy.length} documents, asked for ${perComponent}`);
    }
    for (let i = 0; i < perComponent; i++) {
      const j = i + random.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      items.push([copy[i]!, label]);
    }
  });
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  const labels = items.map((item) => item[1]);
  return { texts: items.map((item) => item[0]), labels, components: [...names], sources: labels };
}

/**
 * The development mix: the only labelled data, besides {@link labelledCorpus} with seed 0, that
 * the default pipeline's settings were tuned on (see `bench/n-selection.mjs`). Four MMLU subjects
 * and four BBH tasks, none in {@link SUBJECT_MIX}, {@link THIRD_MIX} or {@link BBH_TASKS}.
 */
export const DEV_MIX = [
  'mmlu/high_school_biology',
  'mmlu/philosophy',
  'mmlu/high_school_us_history',
  'mmlu/marketing',
  'bbh/web_of_lies',
  'bbh/hyperbaton',
  'bbh/ruin_names',
  'bbh/temporal_sequences',
] as const;

/**
 * A third held-out mix (mix C of the bench): four MMLU subjects and three BBH tasks, none in
 * {@link SUBJECT_MIX}, {@link DEV_MIX} or {@link BBH_TASKS}; 7 components.
 */
export const THIRD_MIX = [
  'mmlu/nutrition',
  'mmlu/high_school_psychology',
  'mmlu/prehistory',
  'mmlu/conceptual_physics',
  'bbh/snarks',
  'bbh/object_counting',
  'bbh/disambiguation_qa',
] as const;
