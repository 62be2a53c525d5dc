import { MMLU_CHOICES, type MmluQuestion } from './load.js';

/** `college_medicine` → `college medicine`. */
export function formatSubject(subject: string): string {
  return subject.split('_').join(' ');
}

/**
 * One question as in the original MMLU evaluation (Hendrycks et al. 2021): the question, the
 * options as `A. ...` lines, then `Answer:` (followed by ` X\n\n` for in-context examples).
 */
export function formatMmluExample(question: MmluQuestion, includeAnswer: boolean): string {
  let text = question.question;
  question.choices.forEach((choice, j) => {
    text += `\n${MMLU_CHOICES[j]}. ${choice}`;
  });
  text += '\nAnswer:';
  if (includeAnswer) text += ` ${question.answer}\n\n`;
  return text;
}

/**
 * The full prompt: the subject header, `shots` dev examples with their answers, then the question.
 * (The original code writes the header with a double space before the subject, an artefact of its
 * string building; we use a single space as lm-evaluation-harness does.)
 */
export function buildMmluPrompt(question: MmluQuestion, dev: readonly MmluQuestion[], shots: number): string {
  if (shots > dev.length) {
    throw new Error(
      `MMLU subject "${question.subject}" has ${dev.length} dev examples, ${shots} shots asked`,
    );
  }
  let prompt = `The following are multiple choice questions (with answers) about ${formatSubject(question.subject)}.\n\n`;
  for (const example of dev.slice(0, shots)) prompt += formatMmluExample(example, true);
  return prompt + formatMmluExample(question, false);
}
