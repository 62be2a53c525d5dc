import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('score')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('hydralora score is not implemented yet');
    });
}
