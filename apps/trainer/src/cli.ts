#!/usr/bin/env node
/**
 * The `hydralora` command line. Each command lives in its own file under `commands/`
 * and exports `register(program)`; this file only composes them.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { runMain } from './util/errors.js';

const program = new Command();
program
  .name('hydralora')
  .description('Parameter-efficient fine-tuning (LoRA, LoRA-Split, HydraLoRA) for TypeScript')
  .showHelpAfterError();
registerCommands(program);

runMain(() => program.parseAsync(process.argv));
