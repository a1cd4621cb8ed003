/**
 * The token ids whose embeddings start a prompt-tuning run's virtual tokens, as PEFT's PromptEmbedding picks them:
 * TEXT tokenizes the text (as the tokenizer does by default, BOS included where it adds one) and repeats the ids
 * until there are P, then cuts at P; SAMPLE_VOCAB draws P ids uniformly from the vocabulary (seeded). PEFT's RANDOM
 * (N(0, 1) values) is not offered: it starts the prompt tens of times larger than any real token's embedding.
 */
import type { PromptInit } from '../adapters/prompt-weights';
import { SeededRandom } from '../gpu/train/seeded-random';
import type { Tokenizer } from '../model/tokenizer/types';

export interface PromptStart {
  init: Extract<PromptInit, 'TEXT' | 'SAMPLE_VOCAB'>;
  /** The text (TEXT), else null. */
  text: string | null;
  /** [P] token ids. */
  ids: Uint32Array;
}

/** `text` '' draws from the vocabulary; anything else must give at least one token. */
export function promptStart(tokenizer: Pick<Tokenizer, 'encode'>, text: string, virtualTokens: number, vocabSize: number, seed: number): PromptStart {
  if (text === '') {
    const rng = SeededRandom.fromSeed(seed);
    return { init: 'SAMPLE_VOCAB', text: null, ids: Uint32Array.from({ length: virtualTokens }, () => rng.nextU32() % vocabSize) };
  }
  const tokens = tokenizer.encode(text);
  if (tokens.length === 0) throw new RangeError(`the prompt's starting text ${JSON.stringify(text)} has no tokens`);
  return { init: 'TEXT', text, ids: Uint32Array.from({ length: virtualTokens }, (_, i) => tokens[i % tokens.length]) };
}
