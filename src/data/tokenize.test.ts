import { describe, expect, it } from 'vitest';
import { ChatTemplate, chatTemplateFor } from '../model/chat';
import { SMOLLM2_TOKENIZER_CONFIG } from '../model/chat/testing/smollm2-config';
import { createGgufTokenizer, fromTokenizerJson, parseTokenizerConfig } from '../model/tokenizer';
import { ggufTokenizerSource, readText, SMOLLM2, STORIES_GGUF } from '../model/tokenizer/testing/fixtures';
import { tokenizeExamples } from './tokenize';
import { type ChatExample, DatasetError, type Example } from './types';

const stories = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const storiesChat = chatTemplateFor(stories, null);
const smolConfig = parseTokenizerConfig(SMOLLM2_TOKENIZER_CONFIG);
const smol = fromTokenizerJson({ tokenizer: readText(`${SMOLLM2}tokenizer.json`), config: smolConfig });
const smolChat = chatTemplateFor(smol, smolConfig.chatTemplate);

const chat = (line: number, ...turns: [ChatExample['messages'][number]['role'], string][]): ChatExample => ({
  kind: 'chat',
  messages: turns.map(([role, content]) => ({ role, content })),
  line,
});

const storyRow = chat(1, ['user', 'Tell a moon story about Tom.'], ['assistant', 'Tom saw the moon. And the moon hummed goodnight.']);

describe('stories260K (plain template, SentencePiece)', () => {
  const prompt = '### User:\nTell a moon story about Tom.\n\n### Assistant:\n';
  const answer = 'Tom saw the moon. And the moon hummed goodnight.';

  it('trains exactly the answer and its EOS, token by token', () => {
    const { examples } = tokenizeExamples([storyRow], { tokenizer: stories, template: storiesChat, seqLen: 512 });
    const [{ ids, trained, trainedCount, line }] = examples;
    // Independently: BOS + the prompt's own ids, then the answer's ids (SentencePiece does not merge across "\n").
    const promptIds = stories.encode(prompt, { addBos: true });
    const answerIds = stories.encode(`\n${answer}`, { addBos: false }).slice(stories.encode('\n', { addBos: false }).length);
    expect([...ids]).toEqual([...promptIds, ...answerIds, 2]);
    expect(ids[0]).toBe(1);
    expect([...trained]).toEqual([...promptIds.map(() => 0), ...answerIds.map(() => 1), 1]);
    expect(trainedCount).toBe(answerIds.length + 1);
    expect(stories.decode([...ids].filter((_, i) => trained[i]))).toBe(`${answer}</s>`);
    expect(line).toBe(1);
  });

  it('trains every token but the first with trainOnInputs, and cuts the glue after the last answer', () => {
    const { examples } = tokenizeExamples([storyRow], { tokenizer: stories, template: storiesChat, seqLen: 512, trainOnInputs: true });
    const [{ ids, trained }] = examples;
    expect(trained[0]).toBe(0);
    expect([...trained.subarray(1)].every((t) => t === 1)).toBe(true);
    expect(ids[ids.length - 1]).toBe(2); // the template's trailing "\n\n" after </s> is gone
    expect(stories.decode([...ids])).toBe(`<s> ${prompt}${answer}</s>`);
  });

  it('trains text rows on every token, BOS first and EOS last', () => {
    const text: Example = { kind: 'text', text: 'Once upon a time', line: 4 };
    const progress: [number, number][] = [];
    const { examples } = tokenizeExamples([text], {
      tokenizer: stories,
      template: storiesChat,
      seqLen: 64,
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(progress).toEqual([[1, 1]]);
    expect([...examples[0].ids]).toEqual([1, 403, 407, 261, 378, 2]);
    expect([...examples[0].trained]).toEqual([0, 1, 1, 1, 1, 1]);
    expect(examples[0].trainedCount).toBe(5);
  });

  it('truncates long examples with a count, drops those left with nothing trained, or refuses them', () => {
    const promptLength = stories.encode(prompt, { addBos: true }).length;
    const fullLength = tokenizeExamples([storyRow], { tokenizer: stories, template: storiesChat, seqLen: 512 }).examples[0].ids.length;
    const seqLen = promptLength + 3;
    const rows: Example[] = [storyRow, { kind: 'text', text: 'Once upon a time', line: 2 }, chat(3, ['user', 'x '.repeat(40)], ['assistant', 'ok'])];
    const result = tokenizeExamples(rows, { tokenizer: stories, template: storiesChat, seqLen });
    expect(result.truncatedCount).toBe(2);
    expect(result.examples.map((e) => e.line)).toEqual([1, 2]);
    expect(result.examples[0].ids.length).toBe(seqLen);
    expect(result.examples[0].truncatedFrom).toBe(fullLength);
    expect(result.examples[0].trainedCount).toBe(3);
    expect(result.examples[1].truncatedFrom).toBeUndefined();
    expect(result.dropped).toHaveLength(1);
    expect(result.dropped[0].line).toBe(3);
    expect(result.dropped[0].reason).toMatch(/every trained token is past the sequence length \(\d+ tokens, limit \d+\)/);

    expect(() => tokenizeExamples(rows, { tokenizer: stories, template: storiesChat, seqLen, overLength: 'refuse', file: 'moon.jsonl' })).toThrow(
      new RegExp(`^moon\\.jsonl: 2 examples are longer than the sequence length of ${seqLen} tokens \\(line 1: ${fullLength} tokens; line 3: \\d+ tokens\\); raise the sequence length or allow truncation$`),
    );
  });

  it('fails when every example is masked, with the first reason', () => {
    const rows = [storyRow, chat(7, ['user', 'Hello there, friend.'], ['assistant', 'Hi'])];
    const error = (() => {
      try {
        tokenizeExamples(rows, { tokenizer: stories, template: storiesChat, seqLen: 8, file: 'short.jsonl' });
      } catch (e) {
        return e as DatasetError;
      }
    })();
    expect(error).toBeInstanceOf(DatasetError);
    expect(error?.message).toMatch(/^short\.jsonl: no example has a trained token: all 2 were dropped; first: line 1: every trained token is past/);
    expect(error?.badRows.map((r) => r.line)).toEqual([1, 7]);
    expect(() => tokenizeExamples([], { tokenizer: stories, template: storiesChat, seqLen: 8, file: 'e.jsonl' })).toThrow(
      /^e\.jsonl: the dataset is empty/,
    );
    expect(() => tokenizeExamples(rows, { tokenizer: stories, template: storiesChat, seqLen: 1 })).toThrow(/integer ≥ 2 tokens, got 1/);
  });

  it('drops a conversation the chat template refuses, with its line', () => {
    const strict = new ChatTemplate(
      "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system turns') }}{% endif %}{{ m['content'] }}{% endfor %}",
      'model',
    );
    const rows = [storyRow, chat(2, ['system', 's'], ['user', 'u'], ['assistant', 'a'])];
    const result = tokenizeExamples(rows, { tokenizer: stories, template: strict, seqLen: 512 });
    expect(result.examples).toHaveLength(1);
    expect(result.dropped[0].line).toBe(2);
    expect(result.dropped[0].reason).toMatch(/refused this conversation: .*no system turns/);
  });
});

describe('SmolLM2 (ChatML template, byte-level BPE)', () => {
  const conversation = chat(
    5,
    ['user', 'What is 2+2?'],
    ['assistant', 'It is 4.'],
    ['user', 'And 3+3?'],
    ['assistant', 'It is 6. 🙂'],
    ['user', 'Thanks, bye'],
  );

  /** The expected ids and mask, built piece by piece: special tokens are single ids, text encodes on its own. */
  function expected(pieces: [string, 0 | 1][]): { ids: number[]; mask: number[] } {
    const ids: number[] = [];
    const mask: number[] = [];
    for (const [text, trained] of pieces) {
      for (const part of text.split(/(<\|im_start\|>|<\|im_end\|>)/)) {
        if (!part) continue;
        const partIds = part === '<|im_start|>' ? [1] : part === '<|im_end|>' ? [2] : smol.encode(part);
        ids.push(...partIds);
        mask.push(...partIds.map(() => trained));
      }
    }
    return { ids, mask };
  }

  it('trains both assistant turns and their <|im_end|>, nothing else, and stops after the last answer', () => {
    const { examples } = tokenizeExamples([conversation], { tokenizer: smol, template: smolChat, seqLen: 512 });
    const want = expected([
      ['<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n', 0],
      ['<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n', 0],
      ['It is 4.<|im_end|>', 1],
      ['\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n', 0],
      ['It is 6. 🙂<|im_end|>', 1],
    ]);
    expect([...examples[0].ids]).toEqual(want.ids);
    expect([...examples[0].trained]).toEqual(want.mask);
    expect(examples[0].ids[0]).toBe(1); // <|im_start|> first; the tokenizer adds no BOS of its own
    expect(examples[0].line).toBe(5);
  });

  it('trains the user turns too with trainOnInputs', () => {
    const { examples } = tokenizeExamples([conversation], { tokenizer: smol, template: smolChat, seqLen: 512, trainOnInputs: true });
    const { ids, trained } = examples[0];
    expect([...trained]).toEqual([0, ...Array(ids.length - 1).fill(1)]);
  });

  it('ends text rows with the tokenizer EOS (<|im_end|>) and adds no BOS', () => {
    const { examples } = tokenizeExamples([{ kind: 'text', text: 'Hello world' }], { tokenizer: smol, template: smolChat, seqLen: 16 });
    expect([...examples[0].ids]).toEqual([19556, 905, 2]);
    expect([...examples[0].trained]).toEqual([0, 1, 1]);
  });
});
