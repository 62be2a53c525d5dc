import { describe, expect, it } from 'vitest';
import {
  formatInstructionPrompt,
  INSTRUCTION_TEMPLATE,
  instructionText,
  promptUserText,
} from './instruction.js';

const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}_]{2,}/gu) ?? [];

describe('the instruction prompt', () => {
  it('is byte for byte the template the recorded adapters were trained on', () => {
    expect(formatInstructionPrompt({ instruction: 'Add', input: '1+1' })).toBe(
      '### Instruction:\nAdd\n\n### Input:\n1+1\n\n### Response:\n',
    );
    expect(formatInstructionPrompt({ instruction: 'Hi', input: '' })).toBe(
      '### Instruction:\nHi\n\n### Response:\n',
    );
    expect(formatInstructionPrompt({ instruction: 'Hi', input: '  \n' })).toBe(
      '### Instruction:\nHi\n\n### Response:\n',
    );
    expect(formatInstructionPrompt({ instruction: 'Hi' })).toBe('### Instruction:\nHi\n\n### Response:\n');
  });
  it('keeps the user’s text literal ($& and {input} are not patterns)', () => {
    expect(formatInstructionPrompt({ instruction: 'Price {input} $& $$', input: 'x' })).toBe(
      '### Instruction:\nPrice {input} $& $$\n\n### Input:\nx\n\n### Response:\n',
    );
  });
  it('takes another template', () => {
    const template = { ...INSTRUCTION_TEMPLATE, withoutInput: 'Q: {instruction}\nA:' };
    expect(formatInstructionPrompt({ instruction: 'why?' }, template)).toBe('Q: why?\nA:');
  });
  it('gives clustering the user text only, with the same words as the stripped prompt', () => {
    const example = { instruction: 'Tag the parts of speech', input: 'The Instruction said: respond.' };
    expect(instructionText(example)).toBe('Tag the parts of speech\n\nThe Instruction said: respond.');
    expect(instructionText({ instruction: 'Hi', input: ' ' })).toBe('Hi');
    const stripped = promptUserText(formatInstructionPrompt(example));
    expect(stripped).not.toMatch(/###/);
    expect(words(stripped)).toEqual(words(instructionText(example)));
  });
});
