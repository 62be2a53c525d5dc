#!/usr/bin/env node
/**
 * The `hydralora` command line. Each command lives in its own file under `commands/`
 * and exports `register(program)`; this file only composes them.
 */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';
import { runMain } from './util/errors.js';

const program = new Command();
program
  .name('hydralora')
  .description('Parameter-efficient fine-tuning (LoRA, LoRA-Split, HydraLoRA) for TypeScript')
  .version((createRequire(import.meta.url)('../package.json') as { version: string }).version);
registerCommands(program);

runMain(() => program.parseAsync(process.argv));
