import { z } from 'zod';
import { readJsonl } from '../util/files.js';

const ProblemRow = z.object({
  task_id: z.string().min(1),
  prompt: z.string(),
  entry_point: z.string().min(1),
  test: z.string().min(1),
  canonical_solution: z.string().optional(),
});

/** One HumanEval problem (the official JSONL fields). */
export type HumanEvalProblem = z.infer<typeof ProblemRow>;

const SampleRow = z.object({ task_id: z.string().min(1), completion: z.string() });

/** One completion of a samples file. */
export type HumanEvalSample = z.infer<typeof SampleRow>;

/** Loads problems from a `.jsonl` or `.jsonl.gz` file; duplicate `task_id`s throw. */
export async function loadHumanEval(file: string): Promise<HumanEvalProblem[]> {
  const rows = await readJsonl(file, ProblemRow);
  if (rows.length === 0) throw new Error(`${file}: no HumanEval problems (the file is empty)`);
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.task_id)) throw new Error(`${file}: duplicate task_id ${JSON.stringify(row.task_id)}`);
    seen.add(row.task_id);
  }
  return rows;
}

/** Loads a samples file (`task_id`, `completion` per line, as OpenAI's harness reads). */
export async function loadSamples(file: string): Promise<HumanEvalSample[]> {
  return readJsonl(file, SampleRow);
}

/** The stop sequences of the Codex paper (Chen et al. 2021). */
export const HUMANEVAL_STOP = ['\nclass', '\ndef', '\n#', '\nif', '\nprint'];
