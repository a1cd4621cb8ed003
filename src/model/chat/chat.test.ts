import { describe, expect, it } from 'vitest';
import { createGgufTokenizer } from '../tokenizer/gguf-tokenizer';
import { fromTokenizerJson } from '../tokenizer/hf-tokenizer';
import { ggufTokenizerSource, readText, SMOLLM2, STORIES_GGUF } from '../tokenizer/testing/fixtures';
import { parseTokenizerConfig } from '../tokenizer/tokenizer-config';
import { renderWithAssistantSpans, tokenizeConversation } from './assistant-spans';
import {
  type ChatMessage,
  chatPrompt,
  chatPromptBos,
  ChatTemplate,
  ChatTemplateError,
  chatTemplateFor,
} from './template';
import { SMOLLM2_CHAT_TEMPLATE, SMOLLM2_TOKENIZER_CONFIG } from './testing/smollm2-config';

const config = parseTokenizerConfig(SMOLLM2_TOKENIZER_CONFIG);
const smol = fromTokenizerJson({ tokenizer: readText(`${SMOLLM2}tokenizer.json`), config });
const smolChat = chatTemplateFor(smol, config.chatTemplate);

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'What is 2+2? 🤔' },
  { role: 'assistant', content: '2 + 2 = 4.\n\tAnything else? 漢字 👨‍👩‍👧' },
  { role: 'user', content: 'Thanks!' },
];
const EXPECTED =
  '<|im_start|>system\nYou are a concise assistant.<|im_end|>\n' +
  '<|im_start|>user\nWhat is 2+2? 🤔<|im_end|>\n' +
  '<|im_start|>assistant\n2 + 2 = 4.\n\tAnything else? 漢字 👨‍👩‍👧<|im_end|>\n' +
  '<|im_start|>user\nThanks!<|im_end|>\n' +
  '<|im_start|>assistant\n';

describe('SmolLM2-Instruct ChatML template', () => {
  it('uses the model template with its special-token strings', () => {
    expect(smolChat.kind).toBe('model');
    expect([smolChat.bosToken, smolChat.eosToken]).toEqual(['<|im_start|>', '<|im_end|>']);
    expect(smol.eosIds).toEqual([2, 0]);
  });

  it('renders a multi-turn chat with the generation prompt exactly', () => {
    expect(smolChat.render(conversation, { addGenerationPrompt: true })).toBe(EXPECTED);
  });

  it('gives the ids of the expected text token for token, special tokens as single ids', () => {
    const rendered = renderWithAssistantSpans(smolChat, conversation, { addGenerationPrompt: true });
    const { ids } = tokenizeConversation(smol, rendered);
    expect(ids).toEqual(smol.encode(EXPECTED));
    // Independently: each special token is its single id and the text between encodes on its own.
    const expectedIds: number[] = [];
    for (const piece of EXPECTED.split(/(<\|im_start\|>|<\|im_end\|>)/)) {
      if (piece === '<|im_start|>') expectedIds.push(1);
      else if (piece === '<|im_end|>') expectedIds.push(2);
      else if (piece) expectedIds.push(...smol.encode(piece));
    }
    expect(ids).toEqual(expectedIds);
    expect(ids[0]).toBe(1);
  });

  it('inserts the default system message when the conversation has none', () => {
    const text = smolChat.render([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
    expect(text).toBe(
      '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('marks exactly the assistant content and its <|im_end|>, in characters and in tokens', () => {
    const messages: ChatMessage[] = [
      ...conversation,
      { role: 'assistant', content: "You're welcome." },
      { role: 'user', content: 'Empty reply next' },
      { role: 'assistant', content: '' },
    ];
    const rendered = renderWithAssistantSpans(smolChat, messages);
    const spanTexts = rendered.assistantSpans.map((s) => rendered.text.slice(s.start, s.end));
    expect(spanTexts).toEqual([`${messages[2].content}<|im_end|>`, "You're welcome.<|im_end|>", '<|im_end|>']);
    expect(rendered.assistantSpans.map((s) => s.messageIndex)).toEqual([2, 4, 6]);

    const tokens = tokenizeConversation(smol, rendered);
    expect(tokens.assistantMask.length).toBe(tokens.ids.length);
    const masked = tokens.tokenSpans.map((s) => smol.decode(tokens.ids.slice(s.start, s.end)));
    expect(masked).toEqual(spanTexts);
    // Nothing outside the spans is marked, and every marked token lies inside one.
    const inSpans = new Uint8Array(tokens.ids.length);
    for (const s of tokens.tokenSpans) inSpans.fill(1, s.start, s.end);
    expect([...tokens.assistantMask]).toEqual([...inSpans]);
    expect(tokens.assistantMask.reduce((a, b) => a + b, 0)).toBe(
      tokens.tokenSpans.reduce((a, s) => a + s.end - s.start, 0),
    );
    expect(tokens.ids[tokens.tokenSpans[0].end - 1]).toBe(2);
  });

  it('reports a template error and bad messages as ChatTemplateError', () => {
    const strict = new ChatTemplate(
      "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first must be user') }}{% endif %}ok",
      'model',
    );
    expect(() => strict.render([{ role: 'system', content: 'x' }])).toThrow(
      /refused this conversation: .*first must be user/,
    );
    expect(() => new ChatTemplate('{% for %}', 'model')).toThrow(ChatTemplateError);
    expect(() => smolChat.render([{ role: 'user' } as ChatMessage])).toThrow(/message 0 needs/);
  });
});

describe('default templates', () => {
  it('picks ChatML for a vocabulary with <|im_start|>, without adding a system message', () => {
    const chat = chatTemplateFor(smol);
    expect(chat.kind).toBe('chatml');
    expect(chat.render([{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true })).toBe(
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('builds a one-turn prompt, adding BOS only when the template has not written it', () => {
    const stories = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
    const plain = chatPrompt(null, stories, 'Hi', 'Be kind.');
    expect(plain).toBe('Be kind.\n\n### User:\nHi\n\n### Assistant:\n');
    expect(chatPromptBos(stories, plain)).toBe(true);
    expect(chatPromptBos(stories, chatPrompt('{{ bos_token }}{{ messages[0].content }}', stories, 'x'))).toBe(false);
    expect(chatPrompt(config.chatTemplate, smol, 'Hi')).toContain('named SmolLM');
    expect(chatPromptBos(smol, EXPECTED)).toBe(false);
  });

  it('takes the "default" entry of a named template list', () => {
    const chat = chatTemplateFor(smol, [
      { name: 'tool_use', template: 'TOOLS' },
      { name: 'default', template: SMOLLM2_CHAT_TEMPLATE },
    ]);
    expect(chat.render(conversation)).toBe(EXPECTED.slice(0, -'<|im_start|>assistant\n'.length));
  });

  it('uses the plain layout for stories260K (GGUF SPM), with spans ending in EOS', () => {
    const stories = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
    const chat = chatTemplateFor(stories, null);
    expect(chat.kind).toBe('plain');
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Tell me a story.' },
      { role: 'assistant', content: 'Once upon a time, Lily saw a ball.' },
      { role: 'user', content: 'More!' },
      { role: 'assistant', content: 'She played all day. ü' },
    ];
    const rendered = renderWithAssistantSpans(chat, messages);
    expect(rendered.text).toBe(
      '### User:\nTell me a story.\n\n### Assistant:\nOnce upon a time, Lily saw a ball.</s>\n\n' +
        '### User:\nMore!\n\n### Assistant:\nShe played all day. ü</s>\n\n',
    );
    const spans = rendered.assistantSpans.map((s) => rendered.text.slice(s.start, s.end));
    expect(spans).toEqual(['Once upon a time, Lily saw a ball.</s>', 'She played all day. ü</s>']);
    const tokens = tokenizeConversation(stories, rendered);
    expect(tokens.ids[0]).toBe(1);
    expect(tokens.ids).toEqual(stories.encode(rendered.text));
    for (const s of tokens.tokenSpans) expect(tokens.ids[s.end - 1]).toBe(2);
    const masked = tokens.tokenSpans.map((s) => stories.decode(tokens.ids.slice(s.start, s.end)).trim());
    expect(masked).toEqual(spans);
  });
});
