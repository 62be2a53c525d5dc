import type { Command } from 'commander';
import { loadModel, toEvalModel } from '../model-io.js';
import { standardizeErrors } from '../util/options.js';
import { register as analyze } from './analyze.js';
import { register as cluster } from './cluster.js';
import { register as demo } from './demo.js';
import { register as doctor } from './doctor.js';
import { register as registerEval } from './eval.js';
import { register as exportAdapter } from './export.js';
import { register as generate } from './generate.js';
import { register as lorahub } from './lorahub.js';
import { register as pretrain } from './pretrain.js';
import { register as repro } from './repro.js';
import { register as score } from './score.js';
import { register as sweep } from './sweep.js';
import { register as train } from './train.js';

const evaluate = (program: Command) =>
  registerEval(program, {
    loadEvalModel: async ({ model, adapter }) => toEvalModel(await loadModel(model, adapter)),
  });

/** Every command of the CLI, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  for (const register of [
    demo,
    train,
    repro,
    sweep,
    analyze,
    doctor,
    generate,
    score,
    exportAdapter,
    lorahub,
    cluster,
    evaluate,
    pretrain,
  ])
    register(program);
  // Every command takes --quiet: only the result on stdout, no progress or info lines on stderr.
  for (const command of program.commands)
    if (!command.options.some((o) => o.long === '--quiet'))
      command.option('--quiet', 'print only the result (no progress or info lines)');
  standardizeErrors(program);
}
