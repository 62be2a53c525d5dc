/**
 * The instruction prompt of the hydralora packages: Alpaca's layout without its preamble
 * sentence (which would spend a small model's context on nothing).
 *
 * ```
 * ### Instruction:
 * {instruction}
 *
 * ### Input:            ← only when the input is not blank
 * {input}
 *
 * ### Response:
 * ```
 *
 * The model's answer follows the final newline. This is the text every adapter in the repository
 * was trained on (the recorded demo included), so it must not change by one byte.
 */

/** An Alpaca-style example; `input` may be missing or empty. */
export interface InstructionExample {
  instruction: string;
  input?: string | undefined;
}

/** A prompt template: `{instruction}` and `{input}` are replaced once each. */
export interface PromptTemplate {
  withInput: string;
  withoutInput: string;
}

/** The default template (see the module's documentation). */
export const INSTRUCTION_TEMPLATE: Readonly<PromptTemplate> = Object.freeze({
  withInput: '### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n',
  withoutInput: '### Instruction:\n{instruction}\n\n### Response:\n',
});

function hasInput(input: string | undefined): input is string {
  return input !== undefined && input.trim() !== '';
}

/** The prompt for `example`; the model's answer follows it. */
export function formatInstructionPrompt(
  example: InstructionExample,
  template: PromptTemplate = INSTRUCTION_TEMPLATE,
): string {
  const text = hasInput(example.input) ? template.withInput : template.withoutInput;
  // One pass with a replacer function: the user's text stays literal (`$&`, `{input}` inside it).
  return text.replace(/\{(instruction|input)\}/g, (_, key: string) =>
    key === 'instruction' ? example.instruction : (example.input ?? ''),
  );
}

/**
 * The text a user wrote, without any template markup: the instruction, then (when the input is
 * not blank) a blank line and the input. This is what clustering and routing should look at.
 */
export function instructionText(example: InstructionExample): string {
  return hasInput(example.input) ? `${example.instruction}\n\n${example.input}` : example.instruction;
}

const MARKUP = /###\s*(Instruction|Input|Response):/g;

/**
 * The user-visible text of an already rendered prompt (this template's, or a chat template that
 * uses the same `### Instruction:` / `### Response:` headers): each header becomes one space, so
 * word tokens are those of {@link instructionText}.
 */
export function promptUserText(prompt: string): string {
  return prompt.replace(MARKUP, ' ');
}
