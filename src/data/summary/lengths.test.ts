import { describe, expect, it } from 'vitest';
import { chatTemplateFor } from '../../model/chat';
import { createGgufTokenizer } from '../../model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../../model/tokenizer/testing/fixtures';
import { splitTrainValidation } from '../split';
import type { Example } from '../types';
import {
  estimateLengths,
  lengthHistogram,
  splitCounts,
  summarizeLengths,
  tokenizeFull,
  tokenizeFullInSlices,
} from './lengths';
import { ExampleSampler } from './sampler';

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

const text = (line: number, words = 3): Example => ({
  kind: 'text',
  line,
  text: Array.from({ length: words }, (_, i) => `word${(line + i) % 7}`).join(' '),
});

describe('ExampleSampler', () => {
  it('keeps every example, in order, when there are no more than its size', () => {
    const sampler = new ExampleSampler(10, 3);
    for (let line = 1; line <= 10; line++) sampler.add(text(line));
    expect(sampler.sampled).toBe(false);
    expect(sampler.examples().map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(sampler.head.map((e) => e.line)).toEqual([1, 2, 3]);
  });

  it('keeps a bounded sample in file order, the same one for the same seed, another for another seed', () => {
    const run = (seed: number) => {
      const sampler = new ExampleSampler(100, 4, seed);
      for (let line = 1; line <= 10_000; line++) sampler.add(text(line, 1));
      return sampler;
    };
    const a = run(1);
    const lines = a.examples().map((e) => e.line!);
    expect(a.sampled).toBe(true);
    expect(a.seen).toBe(10_000);
    expect(lines).toHaveLength(100);
    expect(new Set(lines).size).toBe(100);
    expect([...lines].sort((x, y) => x - y)).toEqual(lines);
    expect(run(1).examples().map((e) => e.line)).toEqual(lines);
    expect(run(2).examples().map((e) => e.line)).not.toEqual(lines);
    expect(a.head.map((e) => e.line)).toEqual([1, 2, 3, 4]);
  });

  it('samples uniformly: each tenth of the file gets about a tenth of the sample', () => {
    const sampler = new ExampleSampler(2000, 0, 7);
    for (let line = 1; line <= 100_000; line++) sampler.add(text(line, 1));
    const perTenth = new Array<number>(10).fill(0);
    for (const e of sampler.examples()) perTenth[Math.floor((e.line! - 1) / 10_000)]++;
    // Binomial(2000, 0.1): mean 200, sd ≈ 13.4; ±60 is beyond 4 sd.
    for (const n of perTenth) expect(Math.abs(n - 200)).toBeLessThan(60);
  });
});

describe('splitCounts', () => {
  it('expects about the asked share, at least one held out and one left, like a split of that many rows', () => {
    for (const n of [0, 2, 3, 10, 101, 999]) {
      for (const fraction of [0, 0.01, 0.1, 0.5, 0.99]) {
        const counts = splitCounts(n, fraction);
        expect(counts.train + counts.validation).toBe(n);
        if (n >= 2 && fraction > 0) expect(counts.validation).toBeGreaterThanOrEqual(1);
        if (n >= 2) expect(counts.train).toBeGreaterThanOrEqual(1);
        const split = splitTrainValidation([...Array(n).keys()].map((key) => ({ key })), { validationFraction: fraction, seed: 1 });
        // A hash split of n rows holds out a binomial count: within 4 standard deviations of the expectation.
        const sd = Math.sqrt(n * fraction * (1 - fraction));
        expect(Math.abs(split.validation.length - counts.validation)).toBeLessThanOrEqual(Math.max(1, 4 * sd));
      }
    }
    expect(() => splitCounts(10, 1)).toThrow(RangeError);
  });
});

describe('tokenizeFullInSlices', () => {
  it('gives what tokenizeFull gives, reports progress per slice and lets `between` stop it', async () => {
    const many = Array.from({ length: 250 }, (_, i) => text(i + 1, 4));
    const whole = tokenizeFull(many, stories, template, false, 'many.txt');
    const progress: number[] = [];
    const sliced = await tokenizeFullInSlices(many, stories, template, false, 'many.txt', (done) => progress.push(done), async () => undefined);
    expect(sliced.examples.map((e) => Array.from(e.ids))).toEqual(whole.examples.map((e) => Array.from(e.ids)));
    expect(progress).toEqual([100, 200, 250]);
    let slices = 0;
    const stopped = tokenizeFullInSlices(many, stories, template, false, 'many.txt', () => undefined, async () => {
      if (++slices === 2) throw new Error('stop');
    });
    await expect(stopped).rejects.toThrow('stop');
    expect(slices).toBe(2);
  });
});

describe('estimateLengths', () => {
  const options = { seqLen: 256, validationFraction: 0.1, seed: 1 };
  const rows = Array.from({ length: 40 }, (_, i) => text(i + 1, i % 4 === 0 ? 30 : 3));
  const full = tokenizeFull(rows, stories, template, false, 'rows.txt');

  it('is the exact summary scaled by 1 when the sample is the whole file', () => {
    const exact = summarizeLengths(full, options, stories);
    const estimate = estimateLengths(full, full, { examples: 40, of: 40 }, options, stories);
    // The split is the one figure an estimate cannot know exactly: it expects the asked share.
    expect({ ...estimate, sampling: null, split: null }).toEqual({ ...exact, split: null });
    expect(estimate.split).toEqual(splitCounts(40, 0.1));
    expect(estimate.sampling).toEqual({ examples: 40, of: 40 });
  });

  it('scales counts to the whole file and keeps the sample\'s own histogram, and the head\'s preview', () => {
    const seqLen = 20;
    const sample = summarizeLengths(full, { ...options, seqLen, validationFraction: 0 }, stories);
    expect(sample.overLength).toBe(10); // every fourth row is 30 words long
    const head = tokenizeFull(rows.slice(0, 2), stories, template, false, 'rows.txt');
    const estimate = estimateLengths(full, head, { examples: 40, of: 4000 }, { ...options, seqLen }, stories);
    expect(estimate.overLength).toBe(1000);
    expect(estimate.totalTokens).toBe(sample.totalTokens * 100);
    expect(estimate.trainedTokens).toBe(sample.trainedTokens * 100);
    expect(estimate.split).toEqual({ train: 3600, validation: 400 });
    expect(estimate.histogram).toEqual(sample.histogram);
    expect(estimate.histogram.reduce((n, b) => n + b.count, 0)).toBe(40);
    expect(estimate.preview.map((r) => r.line)).toEqual([1, 2]);
    expect(estimate.sampling).toEqual({ examples: 40, of: 4000 });
  });
});
