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

/**
 * Why `solution` has no usable gold answer (no `####`, nothing after it, or text that is not a
 * number such as `#### seven`), or undefined when it has one.
 */
export function goldAnswerProblem(solution: string): string | undefined {
  const at = solution.lastIndexOf('####');
  if (at === -1) return 'does not end with "#### <number>"';
  const raw = solution.slice(at + 4).trim();
  if (raw === '') return 'has nothing after "####"';
  if (!Number.isFinite(Number(normalizeNumber(raw))))
    return `the gold answer after "####" is not a number: ${JSON.stringify(raw)}`;
  return undefined;
}

/** The gold answer of a GSM8K solution: the number after its final `####`, normalised. */
export function goldGsm8kAnswer(solution: string, where = 'answer'): string {
  const problem = goldAnswerProblem(solution);
  if (problem) throw new Error(`${where}: field "answer" ${problem}`);
  return normalizeNumber(solution.slice(solution.lastIndexOf('####') + 4));
}
