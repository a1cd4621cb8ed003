/**
 * What every tokenizer does the same way whichever file it came from: BOS/EOS framing as the model's files ask,
 * the ids that end a generation, and streaming decode. A tokenizer kind supplies only its facts and its core
 * (plain-text encoding, decoding, vocabulary look-ups); `assembleTokenizer` makes the `Tokenizer` the rest sees.
 */
import { createStreamDecoder } from './stream-decoder';
import { collectEosIds, type DecodeOptions, type EncodeOptions, type Tokenizer, type TokenizerFacts } from './types';

export interface TokenizerCore {
  /** Appends the ids of `text` to `out`, with no BOS/EOS (special-token strings become their single ids). */
  encodeText(text: string, out: number[]): void;
  decode(ids: readonly number[], options?: DecodeOptions): string;
  tokenId(token: string): number | undefined;
  tokenText(id: number): string | undefined;
  isSpecial(id: number): boolean;
}

export function assembleTokenizer(facts: Omit<TokenizerFacts, 'eosIds'>, core: TokenizerCore): Tokenizer {
  const { bosId, eosId, addBosByDefault, addEosByDefault } = facts;
  const decode = (ids: readonly number[], options?: DecodeOptions) => core.decode(ids, options);
  return {
    ...facts,
    eosIds: collectEosIds(eosId, (t) => core.tokenId(t)),
    encode(text: string, options: EncodeOptions = {}): number[] {
      const out: number[] = [];
      if ((options.addBos ?? addBosByDefault) && bosId !== null) out.push(bosId);
      core.encodeText(text, out);
      if ((options.addEos ?? addEosByDefault) && eosId !== null) out.push(eosId);
      return out;
    },
    decode,
    createStreamDecoder: (options = {}) => createStreamDecoder(decode, options),
    tokenId: (token) => core.tokenId(token),
    tokenText: (id) => core.tokenText(id),
    isSpecial: (id) => core.isSpecial(id),
  };
}
