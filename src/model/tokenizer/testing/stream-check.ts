/** Shared check: a stream decoder's output after every token agrees with decoding that prefix at once. */
import { expect } from 'vitest';
import type { DecodeOptions, Tokenizer } from '../types';

export function expectStreamMatchesDecode(tokenizer: Tokenizer, ids: readonly number[], options: DecodeOptions = {}) {
  const stream = tokenizer.createStreamDecoder(options);
  let streamed = '';
  for (let k = 1; k <= ids.length; k++) {
    streamed += stream.push(ids[k - 1]);
    const whole = tokenizer.decode(ids.slice(0, k), options);
    if (whole.endsWith('\uFFFD')) {
      // The last character is incomplete: the stream may only have held text back, never invented any.
      expect(whole.startsWith(streamed), `prefix ${k} of ${JSON.stringify(ids)}`).toBe(true);
    } else {
      expect(streamed, `prefix ${k} of ${JSON.stringify(ids)}`).toBe(whole);
    }
  }
  streamed += stream.flush();
  expect(streamed).toBe(tokenizer.decode(ids, options));
}
