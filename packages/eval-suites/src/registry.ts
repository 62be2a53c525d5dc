import type { EvalModel } from './model.js';
import type { ProgressReporter } from './progress.js';

/** What a task receives when it runs. */
export interface TaskContext {
  /** The data folder or file of the task (e.g. the shared data folder, or `mmlu/` inside it). */
  data: string;
  /** The model under evaluation; absent for model-free runs (HumanEval samples files). */
  model?: EvalModel;
  /** At most this many examples (per subject for MMLU, per task for BBH, in total otherwise). */
  limit?: number;
  /** Number of in-context examples; each task has its published default. */
  shots?: number;
  /** Prompts per model call. */
  batchSize?: number;
  /** Seed for every sampled generation (sample `j` of a prompt uses `seed + j`). */
  seed?: number;
  /** HumanEval: a samples file (`task_id`, `completion` per line) to score instead of a model. */
  samples?: string;
  /** HumanEval with a model: completions per problem (default 1; pass@10 needs >= 10). */
  samplesPerProblem?: number;
  /**
   * HumanEval: run generated code without the bubblewrap sandbox (it can then touch your files,
   * network and processes). Without it, a missing or unusable `bwrap` is an error.
   */
  unsafeNoSandbox?: boolean;
  /** Progress of long phases. */
  progress?: ProgressReporter;
}

/** The outcome of one task: headline metrics plus task-specific details. */
export interface TaskResult {
  /** The registered task name. */
  task: string;
  /** Headline numbers, e.g. `{ accuracy }`, `{ 'pass@1', 'pass@10' }` (fractions in [0, 1]), or perplexities. */
  metrics: Record<string, number>;
  /** Number of scored examples. */
  count: number;
  /** Per-subject, per-task or per-problem results (JSON-serialisable). */
  details: unknown;
  /** The settings the run used (shots, limit, seed...). */
  config: Record<string, unknown>;
}

/**
 * An evaluation task plugin. Implement `run`, give it a unique `name`, and add it to a
 * {@link TaskRegistry} with `register`.
 */
export interface EvalTask {
  /** Unique name used on the command line (`hydralora eval <name>`). */
  readonly name: string;
  /** One line for `--help` and listings. */
  readonly description: string;
  /** Runs the task. Throws when it needs a model and `context.model` is absent. */
  run(context: TaskContext): Promise<TaskResult>;
}

/** A set of tasks by name; registering a name twice throws. */
export class TaskRegistry {
  readonly #tasks = new Map<string, EvalTask>();

  /** Adds `task`; throws when a task with the same name is already registered. */
  register(task: EvalTask): this {
    if (this.#tasks.has(task.name)) throw new Error(`eval task "${task.name}" is already registered`);
    this.#tasks.set(task.name, task);
    return this;
  }

  /** The task called `name`; throws, listing the known names, when there is none. */
  get(name: string): EvalTask {
    const task = this.#tasks.get(name);
    if (!task) throw new Error(`unknown eval task "${name}" (known: ${this.names().join(', ') || 'none'})`);
    return task;
  }

  /** Whether a task called `name` is registered. */
  has(name: string): boolean {
    return this.#tasks.has(name);
  }

  /** Registered names in registration order. */
  names(): string[] {
    return [...this.#tasks.keys()];
  }
}

/** Returns `context.model` or throws a message naming the task. */
export function requireModel(context: TaskContext, task: string): EvalModel {
  if (!context.model) throw new Error(`eval task "${task}" needs a model (--model DIR)`);
  return context.model;
}
