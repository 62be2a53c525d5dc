import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared benchmark data folder for tests: env HYDRALORA_DATA_DIR, else ../shared/data relative
 * to the repository root; undefined (tests skip) when absent.
 */
export function sharedDataDir(): string | undefined {
  const env = process.env.HYDRALORA_DATA_DIR;
  if (env) return existsSync(env) ? env : undefined;
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const dir = path.join(repoRoot, '..', 'shared', 'data');
  return existsSync(dir) ? dir : undefined;
}

export const DATA_DIR = sharedDataDir();
if (!DATA_DIR) {
  console.warn(
    'eval-suites: shared benchmark data not found (set HYDRALORA_DATA_DIR): real-data tests are skipped',
  );
}

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '__fixtures__');
