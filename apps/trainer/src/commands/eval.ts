import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('eval')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('hydralora eval is not implemented yet');
    });
}
