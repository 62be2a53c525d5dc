import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('generate')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('hydralora generate is not implemented yet');
    });
}
