export { registerCommands } from './commands/index.js';
export { UserError } from './util/errors.js';
