import { describe, expect, it } from 'vitest';
import type { Example } from '../data';
import { chatTemplateFor } from '../model/chat';
import { createGgufTokenizer } from '../model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../model/tokenizer/testing/fixtures';
import { lengthHistogram, summarizeLengths, tokenizeFull } from './dataset-summary';

const stories = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const template = chatTemplateFor(stories, null);

const story = (line: number, prompt: string, answer: string): Example => ({
  kind: 'chat',
  line,
  messages: [
    { role: 'user', content: prompt },
    { role: 'assistant', content: answer },
  ],
});

const examples: Example[] = [
  story(1, 'Tell a moon story about Tom.', 'Tom saw the moon. And the moon hummed goodnight.'),
  story(2, 'Tell a story.', 'Sue had a red ball. She played with it all day in the sun.'),
  story(3, 'Hi.', 'Hello.'),
  { kind: 'text', line: 4, text: 'Once upon a time there was a cat.' },
];

describe('lengthHistogram', () => {
  it('covers every length in round-width bins starting at or below the shortest', () => {
    const lengths = [103, 110, 111, 124, 150];
    const bins = lengthHistogram(lengths, 10);
    expect(bins[0].from).toBeLessThanOrEqual(103);
    expect(bins.at(-1)!.to).toBeGreaterThan(150);
    const width = bins[0].to - bins[0].from;
    expect([1, 2, 5, 10]).toContain(width);
    expect(bins.every((b) => b.to - b.from === width)).toBe(true);
    expect(bins.reduce((sum, b) => sum + b.count, 0)).toBe(lengths.length);
    for (const n of lengths) expect(bins.find((b) => b.from <= n && n < b.to)!.count).toBeGreaterThan(0);
  });

  it('is empty for no examples and one bin for equal lengths', () => {
    expect(lengthHistogram([])).toEqual([]);
    expect(lengthHistogram([7, 7, 7])).toEqual([{ from: 7, to: 8, count: 3 }]);
  });
});

describe('summarizeLengths', () => {
  const full = tokenizeFull(examples, stories, template, false, 'test.jsonl');

  it('previews each example as trained and masked spans that decode to the whole example', () => {
    const summary = summarizeLengths(full, { seqLen: 512, validationFraction: 0.25, seed: 1 }, stories);
    expect(summary.overLength).toBe(0);
    expect(summary.split).toEqual({ train: 3, validation: 1 });
    const [first] = summary.preview;
    expect(first.line).toBe(1);
    const trained = first.spans.filter((s) => s.trained).map((s) => s.text).join('');
    const masked = first.spans.filter((s) => !s.trained).map((s) => s.text).join('');
    expect(trained).toContain('And the moon hummed goodnight.');
    expect(masked).toContain('Tell a moon story about Tom.');
    expect(masked).not.toContain('Tom saw the moon');
    expect(first.spans.reduce((n, s) => n + s.tokens, 0)).toBe(first.tokens);
    expect(first.trainedTokens).toBe(full.examples[0].trainedCount);
    expect(summary.totalTokens).toBe(full.examples.reduce((n, e) => n + e.ids.length, 0));
  });

  it('counts examples over the sequence length and leaves out those with nothing trained within it', () => {
    const lengths = full.examples.map((e) => e.ids.length);
    const seqLen = Math.min(...lengths.slice(0, 2)) - 1;
    const summary = summarizeLengths(full, { seqLen, validationFraction: 0, seed: 1 }, stories);
    expect(summary.overLength).toBe(lengths.filter((n) => n > seqLen).length);
    expect(summary.maxTokens).toBe(Math.max(...lengths));
    expect(summary.preview.every((row) => row.tokens <= seqLen)).toBe(true);
    // A 4-token limit keeps only the prompt's first tokens of every chat example: nothing trained is left.
    const tiny = summarizeLengths(full, { seqLen: 4, validationFraction: 0, seed: 1 }, stories);
    expect(tiny.cutOff.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(tiny.split.train).toBe(1);
  });

  it('marks every token but the first as trained when inputs are trained', () => {
    const all = tokenizeFull(examples, stories, template, true, 'test.jsonl');
    const summary = summarizeLengths(all, { seqLen: 512, validationFraction: 0, seed: 1 }, stories);
    const spans = summary.preview[0].spans;
    expect(spans.map((s) => s.trained)).toEqual([false, true]);
    expect(spans[0].tokens).toBe(1);
  });
});
