// Runs HumanEval's 164 canonical solutions through the sandbox (3 s limit, concurrency 2) and
// prints how many pass and how long it took. Needs the built package and the shared data.
import path from 'node:path';
import { loadHumanEval, resolveDataDir, scoreSamples } from '../dist/index.js';

const dataDir = resolveDataDir(undefined, path.resolve(import.meta.dirname, '..', '..', '..'));
if (!dataDir) {
  console.log('humaneval-canonical: skipped (no data: set HYDRALORA_DATA_DIR)');
  process.exit(0);
}
const problems = await loadHumanEval(path.join(dataDir, 'humaneval', 'HumanEval.jsonl.gz'));
const started = performance.now();
const result = await scoreSamples(
  problems,
  problems.map((p) => ({ task_id: p.task_id, completion: p.canonical_solution ?? '' })),
  { concurrency: 2 },
);
const seconds = (performance.now() - started) / 1000;
const passed = result.tasks.filter((t) => t.correct === 1).length;
const durations = result.tasks.map((t) => t.samples[0].durationMs).sort((a, b) => a - b);
console.log(
  `humaneval-canonical: ${passed}/${problems.length} passed in ${seconds.toFixed(1)} s ` +
    `(per program: median ${durations[durations.length >> 1]} ms, max ${durations[durations.length - 1]} ms)`,
);
