/**
 * Maps a Brown corpus tag to a coarse part of speech (close to the universal tagset of
 * Petrov, Das & McDonald 2012), or undefined for tags the POS task does not ask about
 * (punctuation, numbers, particles, foreign words, interjections, existential "there").
 * Title/headline/cited suffixes (`-tl`, `-hl`, `-nc`), negation (`*`) and the second half of
 * contractions (`ppss+md` → `ppss`) are ignored.
 */
export function coarsePosTag(brownTag: string): CoarsePos | undefined {
  if (brownTag.startsWith('fw-')) return undefined;
  let base = brownTag.split('+')[0]!;
  base = base.replace(/(-tl|-hl|-nc)+$/, '').replace(/\*$/, '');
  return TAGS.get(base);
}

/** The answers of the POS task. */
export const COARSE_POS = [
  'noun',
  'verb',
  'adjective',
  'adverb',
  'pronoun',
  'determiner',
  'preposition',
  'conjunction',
] as const;
export type CoarsePos = (typeof COARSE_POS)[number];

const GROUPS: Record<CoarsePos, string> = {
  noun: 'nn nns nn$ nns$ np nps np$ nps$ nr nrs nr$',
  verb: 'vb vbd vbg vbn vbz be bed bedz beg bem ben ber bez do dod doz hv hvd hvg hvn hvz md',
  adjective: 'jj jjr jjs jjt od',
  adverb: 'rb rbr rbt rn ql qlp wrb',
  pronoun: 'pn pn$ pp$ pp$$ ppl ppls ppo pps ppss wp$ wpo wps',
  determiner: 'at ap abn abx dt dti dts dtx wdt',
  preposition: 'in',
  conjunction: 'cc cs',
};

const TAGS = new Map<string, CoarsePos>();
for (const [pos, tags] of Object.entries(GROUPS) as [CoarsePos, string][]) {
  for (const tag of tags.split(' ')) TAGS.set(tag, pos);
}
