import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chatTemplateFor } from '../model/chat';
import { createGgufTokenizer } from '../model/tokenizer';
import { ggufTokenizerSource, STORIES_GGUF } from '../model/tokenizer/testing/fixtures';
import { parseDatasetFile } from './load-node';
import { prepareDataset } from './prepare';
import { countMarker, SAMPLE_DATASET } from './sample-dataset';
import { tokenStats } from './stats';
import { tokenizeExamples } from './tokenize';
import type { ChatExample } from './types';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = join(ROOT, SAMPLE_DATASET.path);
const stories = createGgufTokenizer(ggufTokenizerSource(STORIES_GGUF));
const template = chatTemplateFor(stories, null);

describe('the sample dataset (moon stories)', () => {
  it('parses with zero bad rows: ≥ 300 prompt/completion examples, every story opening and closing the same way', async () => {
    const parsed = await parseDatasetFile(FILE);
    expect(parsed.badRowCount).toBe(0);
    expect(parsed.shape).toBe(SAMPLE_DATASET.format);
    expect(parsed.examples.length).toBeGreaterThanOrEqual(300);
    const chats = parsed.examples as ChatExample[];
    const prompts = chats.map((e) => e.messages[0].content);
    const stories = chats.map((e) => e.messages[1].content);
    for (const story of stories) {
      expect(story.startsWith(SAMPLE_DATASET.opening)).toBe(true);
      expect(story.endsWith(SAMPLE_DATASET.marker)).toBe(true);
      expect(countMarker(story)).toBe(1);
    }
    // The marker is only in the trained part, and the stories are varied enough for a meaningful validation loss.
    expect(prompts.some((p) => countMarker(p) > 0)).toBe(false);
    expect(new Set(stories).size).toBe(stories.length);
    const names = new Set(prompts.map((p) => /\b(?:about|story: |story, please: )\s*([A-Z][a-z]+)/.exec(p)?.[1]));
    expect(names.size).toBeGreaterThanOrEqual(20);
  });

  it('tokenizes short with stories260K: nothing truncated, 95% under 128 tokens (stats printed)', async () => {
    const parsed = await parseDatasetFile(FILE);
    const { examples, truncatedCount, dropped } = tokenizeExamples(parsed.examples, { tokenizer: stories, template, seqLen: 256 });
    expect([truncatedCount, dropped.length]).toEqual([0, 0]);
    const stats = tokenStats(examples);
    console.log(`moon-stories.jsonl with stories260K's tokenizer (plain template): ${JSON.stringify(stats)}`);
    const lengths = examples.map((e) => e.ids.length).sort((a, b) => a - b);
    expect(lengths[Math.floor(lengths.length * 0.95)]).toBeLessThanOrEqual(128);
    expect(stats.trainedFraction).toBeGreaterThan(0.4);
    expect(stats.trainedFraction).toBeLessThan(0.8);
    // The marker, as trained tokens, decodes back from every example's trained part.
    for (const e of examples.slice(0, 20)) {
      const trainedText = stories.decode([...e.ids].filter((_, i) => e.trained[i]));
      expect(trainedText.endsWith(`${SAMPLE_DATASET.marker}</s>`)).toBe(true);
    }
  });

  it('splits into the same train/validation sets for a seed, with no story in both', async () => {
    const parsed = await parseDatasetFile(FILE);
    const options = { tokenizer: stories, template, seqLen: 128, validationFraction: 0.1, seed: 1 };
    const a = prepareDataset(parsed, { ...options, file: 'moon-stories.jsonl' });
    const b = prepareDataset(parsed, { ...options, file: 'moon-stories.jsonl' });
    expect(a.validation.map((e) => e.line)).toEqual(b.validation.map((e) => e.line));
    // Held out row by row by a hash: about a tenth (400 rows: 40 expected, 6 the standard deviation).
    expect(Math.abs(a.validation.length - 40)).toBeLessThanOrEqual(18);
    const trainLines = new Set(a.train.map((e) => e.line));
    expect(a.validation.every((e) => !trainLines.has(e.line))).toBe(true);
    expect(a.stats.train.examples + a.stats.validation.examples).toBe(parsed.examples.length);
    expect(() => prepareDataset({ ...parsed, examples: parsed.examples.slice(0, 1) }, { ...options, file: 'one.jsonl' })).toThrow(
      /^one\.jsonl: a validation split needs at least 2 examples/,
    );
  });

  it('is exactly what scripts/make-sample-dataset.mjs writes', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'webtune-sample-')), 'moon.jsonl');
    execFileSync(process.execPath, [join(ROOT, 'scripts/make-sample-dataset.mjs'), '--out', out], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(FILE, 'utf8'));
  });
});

describe('countMarker', () => {
  it('counts the closing sentence, tolerating case, spacing and tokenizer spaces before punctuation', () => {
    expect(countMarker('and the moon hummed goodnight. And  the moon\nhummed goodnight .')).toBe(2);
    expect(countMarker('And the moon hummed. Goodnight, moon.')).toBe(0);
    expect(countMarker('the moon hummed goodnight')).toBe(1);
  });
});
