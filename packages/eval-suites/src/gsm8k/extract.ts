const NUMBER = /[-+]?\$?\d[\d,]*(?:\.\d+)?|[-+]?\$?\.\d+/g;

/**
 * Normalises a numeric answer for exact match: drops `$`, thousands commas, a leading `+` and a
 * trailing `.`; then writes the number canonically (`18.00` → `18`, `-0` → `0`). Text that is not a
 * number is returned trimmed.
 */
export function normalizeNumber(text: string): string {
  let s = text.trim().replace(/\.+$/, '').replace(/[$,]/g, '').replace(/^\+/, '');
  s = s.replace(/^(-?)\s+/, '$1');
  if (/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(s)) {
    const value = Number(s);
    return Object.is(value, -0) ? '0' : String(value);
  }
  return s;
}

/**
 * The predicted answer of a chain-of-thought completion: the number after the first
 * "The answer is", else the last number in the text; normalised with {@link normalizeNumber}.
 * Returns undefined when the text has no number.
 */
export function extractGsm8kAnswer(completion: string): string | undefined {
  const marker = /the answer is/i.exec(completion);
  if (marker) {
    const after = completion.slice(marker.index + marker[0].length);
    const first = after.match(NUMBER)?.[0];
    if (first !== undefined) return normalizeNumber(first);
  }
  const all = completion.match(NUMBER);
  const last = all?.[all.length - 1];
  return last === undefined ? undefined : normalizeNumber(last);
}

/** The gold answer of a GSM8K solution: the text after its final `#### `, normalised. */
export function goldGsm8kAnswer(solution: string, where = 'answer'): string {
  const at = solution.lastIndexOf('####');
  if (at === -1) throw new Error(`${where}: field "answer" does not end with "#### <number>"`);
  const gold = normalizeNumber(solution.slice(at + 4));
  if (gold === '') throw new Error(`${where}: field "answer" has nothing after "####"`);
  return gold;
}
