/**
 * The reference `tokenizeConversation` for tests: the implementation webtune used before the spans came from one
 * encoding, kept verbatim. It encodes the whole text before every span boundary and takes the ids that encoding
 * shares with the whole, which is exact by construction but costs one encode per boundary.
 */
import { chatPromptBos } from '../template';
import type { Tokenizer } from '../../tokenizer/types';
import type { RenderedConversation, TokenizedConversation } from '../assistant-spans';

export function tokenizeConversationByPrefixes(
  tokenizer: Tokenizer,
  conversation: RenderedConversation,
  options: { addBos?: boolean } = {},
): TokenizedConversation {
  const { text } = conversation;
  const addBos = options.addBos ?? chatPromptBos(tokenizer, text);
  const encode = (s: string) => tokenizer.encode(s, { addBos, addEos: false });
  const ids = encode(text);
  const boundary = (offset: number, side: 'start' | 'end'): number => {
    const head = encode(text.slice(0, offset));
    const shared = commonPrefixLength(head, ids);
    if (shared === head.length) return shared;
    return side === 'start' ? shared : Math.min(shared + 1, ids.length);
  };
  const assistantMask = new Uint8Array(ids.length);
  const tokenSpans = conversation.assistantSpans.map(({ start, end, messageIndex }) => {
    const span = { start: boundary(start, 'start'), end: boundary(end, 'end'), messageIndex };
    assistantMask.fill(1, span.start, span.end);
    return span;
  });
  return { ids, assistantMask, tokenSpans };
}

function commonPrefixLength<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
