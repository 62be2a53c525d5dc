import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('cluster')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('hydralora cluster is not implemented yet');
    });
}
