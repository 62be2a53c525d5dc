/** The tokenizer of a loaded model, seen through the trainer's {@link TextTokenizer}. */
import type { Pretrained } from '@hydralora/models';
import type { TextTokenizer } from './data.js';

export function textTokenizer({ tokenizer }: Pick<Pretrained, 'tokenizer'>): TextTokenizer {
  const eos = tokenizer.eosTokenId;
  if (eos === undefined) throw new Error('the model tokenizer defines no eos_token (tokenizer_config.json)');
  return {
    encode: (t) => tokenizer.encode(t, { addSpecialTokens: false }),
    decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
    eosId: eos,
    padId: tokenizer.padTokenId ?? eos,
    ...(tokenizer.bosTokenId !== undefined ? { bosId: tokenizer.bosTokenId } : {}),
    applyChatTemplate: (messages, o) =>
      tokenizer.applyChatTemplate(messages, { addGenerationPrompt: o.addGenerationPrompt }),
  };
}
