/**
 * A streaming decoder built only on a tokenizer's whole-sequence `decode`, so it behaves identically for every
 * tokenizer kind. It decodes a small sliding window of ids twice (with and without the newest tokens) and emits
 * the difference, the way text-generation servers do: decoding the window from an already-emitted token keeps
 * context-dependent rules (SentencePiece's stripped leading space) right, and a trailing U+FFFD means the last
 * character is still incomplete, so it waits.
 */
import type { DecodeOptions, StreamDecoder } from './types';

const REPLACEMENT = '\uFFFD';
/**
 * A UTF-8 character spans at most 4 byte tokens, but tokens that add no text (a skipped BOS, SentencePiece's
 * leading "▁") may sit among them; past this many pending tokens a trailing U+FFFD is taken as real, so a model
 * emitting broken bytes cannot make the window grow without bound.
 */
const MAX_PENDING_TOKENS = 16;

export function createStreamDecoder(
  decode: (ids: readonly number[], options?: DecodeOptions) => string,
  options: DecodeOptions = {},
): StreamDecoder {
  let ids: number[] = [];
  // ids[prefix, read) is context already emitted; ids[read, ...) is pending.
  let prefix = 0;
  let read = 0;

  const advance = (force: boolean): string => {
    const before = decode(ids.slice(prefix, read), options);
    const after = decode(ids.slice(prefix), options);
    const pending = ids.length - read;
    if (!force && (after.length <= before.length || after.endsWith(REPLACEMENT)) && pending < MAX_PENDING_TOKENS) {
      return '';
    }
    // Decoding is local for every tokenizer we support, so `before` is a prefix of `after`; if some exotic
    // decoder ever rewrites earlier text, emitting the tail from the common length is the least-bad answer.
    const text = after.startsWith(before) ? after.slice(before.length) : after.slice(commonPrefix(before, after));
    // Keep only the last emitted chunk as context, so the window stays a few tokens long.
    prefix = read;
    read = ids.length;
    if (prefix > 64) {
      ids = ids.slice(prefix);
      read -= prefix;
      prefix = 0;
    }
    return text;
  };

  return {
    push(id: number): string {
      ids.push(id);
      return advance(false);
    },
    flush(): string {
      const text = read < ids.length ? advance(true) : '';
      ids = [];
      prefix = 0;
      read = 0;
      return text;
    },
  };
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
