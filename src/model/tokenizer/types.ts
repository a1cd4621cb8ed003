/**
 * The one tokenizer interface the rest of webtune sees, whichever file it came from (tokenizer.json through
 * `@huggingface/tokenizers`, or a GGUF vocabulary through the hand-written SPM / byte-level BPE in this folder).
 */

export interface EncodeOptions {
  /** Put the BOS id first. Defaults to what the model's own files ask for (`addBosByDefault`). */
  addBos?: boolean;
  /** Put the EOS id last. Defaults to `addEosByDefault` (false for every causal LM we know). */
  addEos?: boolean;
}

export interface DecodeOptions {
  /** Leave out special tokens (BOS, EOS, <|im_end|>, …). Default false, as in Hugging Face's `decode`. */
  skipSpecial?: boolean;
}

/**
 * Turns a stream of token ids into text for display while generating. A character split across tokens
 * (byte-fallback tokens, or byte-level BPE pieces of a multi-byte UTF-8 sequence) is held back until complete.
 */
export interface StreamDecoder {
  /** Adds one token; returns the text it completed (often '', sometimes several characters). */
  push(id: number): string;
  /** Returns whatever is still held back (an incomplete character decodes as U+FFFD) and resets. */
  flush(): string;
}

/** What a tokenizer knows once it has loaded: its vocabulary's size, its special ids and how it frames text. */
export interface TokenizerFacts {
  /** Number of embedding rows the ids index: highest id + 1. */
  readonly vocabSize: number;
  readonly bosId: number | null;
  readonly eosId: number | null;
  readonly padId: number | null;
  readonly unkId: number | null;
  /** Ids that end a generation: EOS plus the end-of-turn tokens the vocabulary has (<|im_end|>, <|eot_id|>, …). */
  readonly eosIds: readonly number[];
  /** Every special (control) token id, ascending. */
  readonly specialIds: readonly number[];
  readonly addBosByDefault: boolean;
  readonly addEosByDefault: boolean;
  /** Problems worth showing the user that did not stop loading (e.g. an unknown pre-tokenizer). */
  readonly warnings: readonly string[];
}

export interface Tokenizer extends TokenizerFacts {
  /** Text → ids. Special-token strings in the text ("<|im_end|>") become their single ids. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids → text. Throws `TokenizerError` for an id outside the vocabulary. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  createStreamDecoder(options?: DecodeOptions): StreamDecoder;
  /** The id of a vocabulary entry written as stored, e.g. "<|im_end|>" or "Ġthe"; undefined when absent. */
  tokenId(token: string): number | undefined;
  /** The vocabulary entry of an id as stored (e.g. "▁Once", "<0x0A>", "<|im_end|>"). */
  tokenText(id: number): string | undefined;
  isSpecial(id: number): boolean;
}

/** Raised for a bad id or bad input at use time; file problems are `ModelFormatError`s naming the file. */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
}

/** End-of-turn markers used by chat models; any the vocabulary has also stop generation. */
export const END_OF_TURN_TOKENS = ['<|im_end|>', '<|eot_id|>', '<|end|>', '<end_of_turn>', '<|endoftext|>'];

export function collectEosIds(eosId: number | null, tokenId: (t: string) => number | undefined): number[] {
  const ids = new Set<number>();
  if (eosId !== null) ids.add(eosId);
  for (const t of END_OF_TURN_TOKENS) {
    const id = tokenId(t);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}
