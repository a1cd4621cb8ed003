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

/** How `tokenizeConversation` found each span boundary; pass one in to count (tests and benchmarks). */
export interface SpanBoundaryStats {
  /** Boundaries found by encoding only the text from the last special token before them. */
  fromSpecial: number;
  /** Boundaries found by encoding the whole text before them (no special token before, or it did not line up). */
  fromPrefix: number;
}

/**
 * Tokenizes a rendered conversation once, as inference will see it, and maps the character spans onto tokens:
 * the ids that the encoding of the text before a boundary shares with the whole are before the boundary. A token
 * that straddles a boundary (a merge across it) counts as assistant, since it carries assistant text. BOS is added
 * when the tokenizer wants it and the template has not already written it.
 *
 * The text before a boundary is not encoded whole. Every tokenizer here cuts the text at special-token strings
 * before its own algorithm runs, so what precedes a special token cannot change the ids from it on: the encoding
 * of `text.slice(0, offset)` is the whole encoding's ids before the last special token that ends by `offset`,
 * followed by the encoding of the text from that token to `offset` (started with the token itself, so the text
 * after it is encoded in the same "just after a special token" context as in the whole). For ChatML that tail is
 * "<|im_start|>assistant\n" or "<|im_end|>", so a conversation costs about one encode. Where there is no such
 * token, or the special ids of the whole encoding do not line up one to one with the special strings in the text,
 * the boundary is found from the whole prefix as before, so the result is always the same.
 */
export function tokenizeConversation(
  tokenizer: Tokenizer,
  conversation: RenderedConversation,
  options: { addBos?: boolean; stats?: SpanBoundaryStats } = {},
): TokenizedConversation {
  const { text } = conversation;
  const addBos = options.addBos ?? chatPromptBos(tokenizer, text);
  const encode = (s: string) => tokenizer.encode(s, { addBos, addEos: false });
  const ids = encode(text);
  const anchors = lineUpSpecials(tokenizer, text, ids, addBos && tokenizer.bosId !== null ? 1 : 0);

  const fromPrefix = (offset: number): number[] => {
    if (options.stats) options.stats.fromPrefix++;
    return encode(text.slice(0, offset));
  };
  // The encoding of text.slice(0, offset), as `head` ids followed by `tail` (head = ids.slice(0, headLength)).
  const prefixEncoding = (offset: number): { headLength: number; tail: readonly number[] } => {
    const anchor = anchors && lastAnchorBy(anchors.list, offset);
    if (anchor) {
      const tail = encodeTail(tokenizer, anchors.specials, text.slice(anchor.start, offset));
      if (tail[0] === anchor.id) {
        if (options.stats) options.stats.fromSpecial++;
        return { headLength: anchor.index, tail };
      }
    }
    return { headLength: 0, tail: fromPrefix(offset) };
  };
  const boundary = (offset: number, side: 'start' | 'end'): number => {
    const { headLength, tail } = prefixEncoding(offset);
    const shared = headLength + commonPrefixLength(tail, ids, headLength);
    if (shared === headLength + tail.length) return shared;
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

/** A special-token string in the text (chars [start, end)) and where its id sits in the whole encoding. */
interface Anchor {
  start: number;
  end: number;
  id: number;
  index: number;
}

/**
 * The special-token strings of the text matched with the special ids of its encoding, in order; null when they do
 * not pair up one to one (a special string the tokenizer did not cut out, or a special id from elsewhere), in which
 * case no boundary relies on them. `first` skips the BOS the encoder added itself.
 */
function lineUpSpecials(
  tokenizer: Tokenizer,
  text: string,
  ids: readonly number[],
  first: number,
): { specials: AnchorSpecials; list: Anchor[] } | null {
  const specials = anchorSpecials(tokenizer);
  if (!specials.pattern) return null;
  const anchors: Anchor[] = [];
  let at = first;
  for (const m of text.matchAll(specials.pattern)) {
    const id = specials.ids.get(m[0])!;
    while (at < ids.length && !specials.idSet.has(ids[at])) at++;
    if (ids[at] !== id) return null;
    anchors.push({ start: m.index, end: m.index + m[0].length, id, index: at });
    at++;
  }
  while (at < ids.length && !specials.idSet.has(ids[at])) at++;
  return at === ids.length ? { specials, list: anchors } : null;
}

/** The last anchor that ends by `offset` (anchors are in text order and do not overlap, so ends ascend). */
function lastAnchorBy(anchors: readonly Anchor[], offset: number): Anchor | undefined {
  let lo = 0;
  let hi = anchors.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (anchors[mid].end <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? anchors[lo - 1] : undefined;
}

interface AnchorSpecials {
  /** Longest first, so that where two start at one place the longer wins, as the tokenizers' own split does. */
  pattern: RegExp | null;
  ids: ReadonlyMap<string, number>;
  idSet: ReadonlySet<number>;
  /** Encodings of short tails already seen ("<|im_end|>", "<|im_start|>assistant\n" recur in every row). */
  tails: Map<string, readonly number[]>;
}

const MAX_CACHED_TAIL_LENGTH = 64;
const MAX_CACHED_TAILS = 1024;

/**
 * `text` (which starts with a special token) encoded without BOS/EOS. Encoding is a pure function of the text, so
 * a short tail's ids are kept and reused: a single encode call costs tens of microseconds even for a few characters.
 */
function encodeTail(tokenizer: Tokenizer, specials: AnchorSpecials, text: string): readonly number[] {
  const cached = specials.tails.get(text);
  if (cached) return cached;
  const ids = tokenizer.encode(text, { addBos: false, addEos: false });
  if (text.length <= MAX_CACHED_TAIL_LENGTH && specials.tails.size < MAX_CACHED_TAILS) specials.tails.set(text, ids);
  return ids;
}

const anchorCache = new WeakMap<Tokenizer, AnchorSpecials>();

/**
 * The special tokens a boundary may start its encoding from: those whose stored text encodes to their own id
 * alone. The unknown token is left out, since the encoder also emits it for characters the vocabulary lacks.
 */
function anchorSpecials(tokenizer: Tokenizer): AnchorSpecials {
  const cached = anchorCache.get(tokenizer);
  if (cached) return cached;
  const ids = new Map<string, number>();
  for (const id of tokenizer.specialIds) {
    if (id === tokenizer.unkId) continue;
    const text = tokenizer.tokenText(id);
    if (!text || ids.has(text)) continue;
    const alone = tokenizer.encode(text, { addBos: false, addEos: false });
    if (alone.length === 1 && alone[0] === id) ids.set(text, id);
  }
  const strings = [...ids.keys()].sort((a, b) => b.length - a.length);
  const pattern = strings.length > 0 ? new RegExp(strings.map(escapeRegExp).join('|'), 'gu') : null;
  const specials = { pattern, ids, idSet: new Set(ids.values()), tails: new Map() };
  anchorCache.set(tokenizer, specials);
  return specials;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** How many leading items of `a` equal those of `b` from `bFrom` on. */
function commonPrefixLength<T>(a: ArrayLike<T>, b: ArrayLike<T>, bFrom = 0): number {
  let i = 0;
  while (i < a.length && bFrom + i < b.length && a[i] === b[bFrom + i]) i++;
  return i;
}
