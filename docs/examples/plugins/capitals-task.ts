/**
 * A complete eval-task plugin: "capitals", a JSONL benchmark of `{ "country", "capital" }` rows.
 * It reads its file with errors naming the line and field, builds a one-line prompt, asks the
 * model for a short answer and scores exact match — then lives in the registry beside MMLU,
 * GSM8K, HumanEval and BBH, so `runTask('capitals', …)` works like any built-in.
 */
import { readFileSync } from 'node:fs';
import {
  type EvalModel,
  type EvalTask,
  registerBuiltinTasks,
  type TaskContext,
  TaskRegistry,
  type TaskResult,
} from '@hydralora/eval-suites';

interface Row {
  country: string;
  capital: string;
}

export function readCapitals(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      if (line.trim() === '') return [];
      const row = JSON.parse(line) as Partial<Row>;
      for (const field of ['country', 'capital'] as const) {
        if (typeof row[field] !== 'string')
          throw new Error(`${file} line ${i + 1}: missing field '${field}'`);
      }
      return [row as Row];
    });
}

export const capitalsPrompt = (country: string) => `Q: What is the capital of ${country}?\nA:`;

export const capitalsTask: EvalTask = {
  name: 'capitals',
  description: 'capital cities, exact match (a plugin example)',
  async run(context: TaskContext): Promise<TaskResult> {
    if (!context.model) throw new Error('the capitals task needs a model');
    const rows = readCapitals(context.data).slice(0, context.limit);
    const answers = await context.model.generate(
      rows.map((r) => capitalsPrompt(r.country)),
      { maxNewTokens: 8, stop: ['\n'], seed: context.seed ?? 0 },
    );
    const correct = answers.map((a, i) => a.trim().toLowerCase() === rows[i]!.capital.toLowerCase());
    return {
      task: 'capitals',
      metrics: { accuracy: correct.filter(Boolean).length / Math.max(1, rows.length) },
      count: rows.length,
      details: rows.map((r, i) => ({ country: r.country, answer: answers[i], correct: correct[i] })),
      config: { limit: context.limit ?? null },
    };
  },
};

/** The built-in tasks plus ours; registering a name twice throws. */
export function registryWithCapitals(): TaskRegistry {
  return registerBuiltinTasks(new TaskRegistry()).register(capitalsTask);
}

/** A model that knows a few capitals (stands in for `toEvalModel(loadPretrained(dir))`). */
export function lookupModel(known: Record<string, string>): EvalModel {
  return {
    async score(prompts) {
      return prompts.map(() => 0);
    },
    async generate(prompts) {
      return prompts.map((p) => {
        const country = /capital of (.*)\?/.exec(p)?.[1] ?? '';
        return ` ${known[country] ?? 'unknown'}\nQ: …`.split('\n')[0]!;
      });
    },
  };
}
