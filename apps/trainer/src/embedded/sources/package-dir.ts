import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const requireHere = createRequire(import.meta.url);

/**
 * The installed folder of an npm package that this app depends on (found through Node's
 * resolution, so it works from a pnpm workspace, an npm install and the built dist alike).
 */
export function packageDir(name: string): string {
  try {
    return dirname(requireHere.resolve(`${name}/package.json`));
  } catch (error) {
    throw new Error(
      `embedded data: the npm package "${name}" is not installed (${(error as Error).message}); ` +
        'run `pnpm install` in the repository',
    );
  }
}

/** `require()` from this module, for CommonJS data packages. */
export function requirePackage<T>(name: string): T {
  return requireHere(name) as T;
}
