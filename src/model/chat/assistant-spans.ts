/**
 * Which parts of a rendered conversation the assistant said, so fine-tuning can put the loss on those tokens
 * only. Works with any template by rendering prefixes and comparing: the conversation up to an assistant turn
 * with the generation prompt ends where the assistant starts speaking, and the conversation through that turn
 * ends after it. The span is the message content plus the end-of-turn marker right after it (<|im_end|>, EOS…),
 * which the model must learn to emit to stop; template glue such as the newline after <|im_end|> is left out.
 */
import { END_OF_TURN_TOKENS, type Tokenizer } from '../tokenizer/types';
import { type ChatMessage, type ChatTemplate, ChatTemplateError, chatPromptBos, type RenderOptions } from './template';

export interface AssistantSpan {
  /** Character offsets into the rendered text, end exclusive. */
  start: number;
  end: number;
  /** Index of the assistant message in the conversation. */
  messageIndex: number;
}

export interface RenderedConversation {
  text: string;
  assistantSpans: AssistantSpan[];
}

export interface TokenizedConversation {
  ids: number[];
  /** 1 where the token belongs to an assistant turn (train on it), 0 elsewhere; same length as ids. */
  assistantMask: Uint8Array;
  /** Token index ranges [start, end) of each assistant span, in the order of `assistantSpans`. */
  tokenSpans: { start: number; end: number; messageIndex: number }[];
}

export function renderWithAssistantSpans(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: RenderOptions = {},
): RenderedConversation {
  const text = template.render(messages, options);
  const markers = [...new Set([template.eosToken, ...END_OF_TURN_TOKENS].filter((m) => m))];
  markers.sort((a, b) => b.length - a.length);
  const assistantSpans: AssistantSpan[] = [];
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    const before = template.render(messages.slice(0, i), { addGenerationPrompt: true });
    const through = template.render(messages.slice(0, i + 1), { addGenerationPrompt: false });
    if (!text.startsWith(through)) {
      throw new ChatTemplateError(
        `cannot find the assistant turn of message ${i}: the template renders earlier turns differently once ` +
          'later ones follow, so the conversation is not a sequence of prefixes',
      );
    }
    const turnStart = through.startsWith(before) ? before.length : commonPrefixLength(before, through);
    const contentStart = locateContent(through, message.content, turnStart);
    if (contentStart < 0) {
      throw new ChatTemplateError(`cannot find the content of assistant message ${i} in the rendered text`);
    }
    let end = contentStart + message.content.length;
    const marker = markers.find((m) => through.startsWith(m, end));
    if (marker) end += marker.length;
    assistantSpans.push({ start: contentStart, end, messageIndex: i });
  });
  return { text, assistantSpans };
}

/**
 * The content normally starts right where the generation prompt ended; some templates put text between (or
 * ignore add_generation_prompt), so otherwise take its last occurrence in the turn, the content being the
 * turn's final part.
 */
function locateContent(through: string, content: string, turnStart: number): number {
  if (through.startsWith(content, turnStart)) return turnStart;
  const at = through.lastIndexOf(content);
  return at >= turnStart ? at : -1;
}

/**
 * Tokenizes a rendered conversation once, as inference will see it, and maps the character spans onto tokens by
 * encoding the text before each boundary: the ids that encoding shares with the whole are before the boundary.
 * A token that straddles a boundary (a merge across it) counts as assistant, since it carries assistant text.
 * BOS is added when the tokenizer wants it and the template has not already written it.
 */
export function tokenizeConversation(
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
