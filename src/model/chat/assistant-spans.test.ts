/**
 * `tokenizeConversation` finds span boundaries from the last special token before each one; the old way, one
 * encode of the whole prefix per boundary (kept in testing/prefix-spans.ts), is exact by construction. These
 * tests require the two to agree id for id, mask for mask, on the sample dataset and on random conversations
 * built to be awkward, for the three kinds of tokenizer webtune ships with.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random } from '../../core/random';
import { createGgufTokenizer } from '../tokenizer/gguf-tokenizer';
import { fromTokenizerJson } from '../tokenizer/hf-tokenizer';
import {
  ggufTokenizerSource,
  readText,
  SMOLLM2,
  STORIES_GGUF,
  STORIES_HF,
} from '../tokenizer/testing/fixtures';
import { HARD_CASES, randomTexts } from '../tokenizer/testing/texts';
import { parseTokenizerConfig } from '../tokenizer/tokenizer-config';
import type { Tokenizer } from '../tokenizer/types';
import { renderWithAssistantSpans, type SpanBoundaryStats, tokenizeConversation } from './assistant-spans';
import { type ChatMessage, ChatTemplate, chatTemplateFor } from './template';
import { tokenizeConversationByPrefixes } from './testing/prefix-spans';
import { SMOLLM2_TOKENIZER_CONFIG } from './testing/smollm2-config';

const smolConfig = parseTokenizerConfig(SMOLLM2_TOKENIZER_CONFIG);
const smol = fromTokenizerJson({ tokenizer: readText(`${SMOLLM2}tokenizer.json`), config: smolConfig });
const stories = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const storiesHf = fromTokenizerJson({
  tokenizer: readText(`${STORIES_HF}tokenizer.json`),
  config: readText(`${STORIES_HF}tokenizer_config.json`),
});

const TOKENIZERS: { name: string; tokenizer: Tokenizer; template: ChatTemplate }[] = [
  {
    name: 'SmolLM2 tokenizer.json, its ChatML template',
    tokenizer: smol,
    template: chatTemplateFor(smol, smolConfig.chatTemplate),
  },
  { name: 'stories260K GGUF, the plain template', tokenizer: stories, template: chatTemplateFor(stories, null) },
  {
    name: 'stories260K tokenizer.json, the plain template',
    tokenizer: storiesHf,
    template: chatTemplateFor(storiesHf, null),
  },
];

/** The sample dataset's prompt/completion rows as the user/assistant turns src/data/parse makes of them. */
function moonStories(): ChatMessage[][] {
  const path = fileURLToPath(new URL('../../../public/datasets/moon-stories.jsonl', import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const row = JSON.parse(line) as { prompt: string; completion: string };
      return [
        { role: 'user', content: row.prompt },
        { role: 'assistant', content: row.completion },
      ];
    });
}

/** Text meant to trip a boundary: special-token strings and pieces of them, edge spaces, newlines, nothing. */
const AWKWARD = [
  '<|im_end|>', '<|im_start|>', '<|im_start|>assistant\n', '<|endoftext|>', '<s>', '</s>', '<unk>', '<|im_',
  '|>', '</', 's>', ' ', '  ', '\n', '\n\n', ' \n ', '\t', '', '123', '4 5', '😀', '👨‍👩‍👧', '▁', 'Ġ',
  '### Assistant:\n',
];

function randomContent(rng: Random, texts: readonly string[]): string {
  const parts: string[] = [];
  const count = rng.int(5);
  for (let i = 0; i < count; i++) {
    parts.push(rng.next() < 0.35 ? AWKWARD[rng.int(AWKWARD.length)] : texts[rng.int(texts.length)]);
  }
  return parts.join('');
}

/** Seeded conversations: an optional system turn, then 1–4 user/assistant exchanges, sometimes a stray role. */
function randomConversations(count: number, seed: number): ChatMessage[][] {
  const rng = new Random(seed);
  const texts = [...HARD_CASES, ...randomTexts(200, seed + 1)];
  const out: ChatMessage[][] = [];
  for (let c = 0; c < count; c++) {
    const messages: ChatMessage[] = [];
    if (rng.next() < 0.4) messages.push({ role: 'system', content: randomContent(rng, texts) });
    const exchanges = 1 + rng.int(4);
    for (let e = 0; e < exchanges; e++) {
      if (rng.next() < 0.1) messages.push({ role: 'system', content: randomContent(rng, texts) });
      if (rng.next() < 0.9) messages.push({ role: 'user', content: randomContent(rng, texts) });
      messages.push({ role: 'assistant', content: randomContent(rng, texts) });
    }
    out.push(messages);
  }
  return out;
}

/** Compares the two on every conversation; returns how the boundaries were found. */
function expectSameAsPrefixes(tokenizer: Tokenizer, template: ChatTemplate, conversations: ChatMessage[][]) {
  const stats: SpanBoundaryStats = { fromSpecial: 0, fromPrefix: 0 };
  conversations.forEach((messages, i) => {
    const rendered = renderWithAssistantSpans(template, messages);
    const expected = tokenizeConversationByPrefixes(tokenizer, rendered);
    const actual = tokenizeConversation(tokenizer, rendered, { stats });
    const where = `conversation ${i} ${JSON.stringify(rendered.text)}`;
    expect(actual.ids, where).toEqual(expected.ids);
    expect([...actual.assistantMask], where).toEqual([...expected.assistantMask]);
    expect(actual.tokenSpans, where).toEqual(expected.tokenSpans);
  });
  const boundaries = conversations.flat().filter((m) => m.role === 'assistant').length * 2;
  expect(stats.fromSpecial + stats.fromPrefix).toBe(boundaries);
  return stats;
}

describe.each(TOKENIZERS)('tokenizeConversation with $name equals the prefix-by-prefix result', (setup) => {
  const { tokenizer, template } = setup;
  it('on every row of moon-stories.jsonl', () => {
    const stats = expectSameAsPrefixes(tokenizer, template, moonStories());
    // Each row's end boundary follows its end-of-turn token; ChatML also has <|im_start|> before the start one.
    expect(stats.fromSpecial).toBeGreaterThanOrEqual(400);
    if (template.kind !== 'plain') expect(stats.fromPrefix).toBe(0);
  });

  it('on 300 seeded random multi-turn conversations', () => {
    const stats = expectSameAsPrefixes(tokenizer, template, randomConversations(300, 11));
    expect(stats.fromSpecial).toBeGreaterThan(stats.fromPrefix);
  });

  it('with BOS forced on and off', () => {
    const conversations = randomConversations(40, 12);
    for (const addBos of [true, false]) {
      for (const messages of conversations) {
        const rendered = renderWithAssistantSpans(template, messages);
        expect(tokenizeConversation(tokenizer, rendered, { addBos })).toEqual(
          tokenizeConversationByPrefixes(tokenizer, rendered, { addBos }),
        );
      }
    }
  });
});

describe('tokenizeConversation falls back where special tokens cannot be relied on', () => {
  it('ignores a claimed special that the tokenizer does not cut out, and stays exact', () => {
    // "hello" is an ordinary vocabulary entry; a tokenizer that calls it special still encodes " hello" as "Ġhello".
    const helloId = smol.tokenId('hello')!;
    expect(smol.encode('hello', { addBos: false })).toEqual([helloId]);
    const liar: Tokenizer = { ...smol, specialIds: [...smol.specialIds, helloId] };
    const template = chatTemplateFor(liar, smolConfig.chatTemplate);
    const messages: ChatMessage[] = [
      { role: 'user', content: 'say hello there' },
      { role: 'assistant', content: 'I say hello and hello.' },
    ];
    const rendered = renderWithAssistantSpans(template, messages);
    const stats: SpanBoundaryStats = { fromSpecial: 0, fromPrefix: 0 };
    expect(tokenizeConversation(liar, rendered, { stats })).toEqual(tokenizeConversationByPrefixes(liar, rendered));
    expect(stats).toEqual({ fromSpecial: 0, fromPrefix: 2 });
  });

  it('handles a special-token string that straddles a span boundary', () => {
    // The template writes "<|im_" and the content starts "_end|>", so "<|im_end|>" spans the start boundary.
    const template = new ChatTemplate(
      "{% for m in messages %}{{ '<|im_start|>' + m.role + '<|im_' + m.content + '<|im_end|>' }}{% endfor %}",
      'model',
    );
    const messages: ChatMessage[] = [
      { role: 'user', content: 'start|>hi' },
      { role: 'assistant', content: 'end|> there' },
      { role: 'user', content: 'again' },
      { role: 'assistant', content: 'end|>' },
    ];
    const rendered = renderWithAssistantSpans(template, messages);
    expect(rendered.text).toContain('<|im_end|> there');
    const stats: SpanBoundaryStats = { fromSpecial: 0, fromPrefix: 0 };
    expect(tokenizeConversation(smol, rendered, { stats })).toEqual(tokenizeConversationByPrefixes(smol, rendered));
    expect(stats.fromSpecial).toBe(4);
  });
});
