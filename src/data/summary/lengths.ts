/**
 * A tokenized dataset → the figures the Datasets view and `webtune data` show: token-length histogram, how many
 * examples exceed the sequence length, trained and total tokens, the train/validation counts, and preview rows as
 * trained/masked text spans.
 *
 * Examples are tokenized once at full length (`tokenizeFull`); the sequence length, the split and the preview are
 * then cheap to redo when the user edits them. Truncation follows `tokenizeExamples`: the first `seqLen` tokens
 * are kept, and an example whose trained tokens all lie past them is left out, so these counts are the ones
 * training gets (src/worker/dataset-agreement.test.ts checks them against the CLI's and the Train view's).
 *
 * Beyond `SAMPLE_SIZE` examples the figures come from a seeded uniform sample (sampler.ts) and are scaled to the
 * whole file (`estimateLengths`).
 */
import type { ChatTemplate } from '../../model/chat';
import type { Tokenizer } from '../../model/tokenizer';
import { expectedValidationCount, splitTrainValidation } from '../split';
import { type TokenizedExample, tokenizeExamples } from '../tokenize';
import { type BadRow, DatasetError, type Example, formatBadRow } from '../types';
import type { DatasetLengths, DatasetSampling, HistogramBin, PreviewRow, TokenSpan } from './types';

/** Long enough never to truncate: lengths are measured before the user's sequence length applies. */
const NO_LIMIT = 2 ** 31 - 1;
const BINS = 20;
export const PREVIEW_ROWS = 6;
/** A preview row longer than this many tokens is cut for display (the counts stay whole). */
const PREVIEW_TOKENS = 400;

export interface FullTokens {
  examples: TokenizedExample[];
  dropped: BadRow[];
}

export function tokenizeFull(
  examples: readonly Example[],
  tokenizer: Tokenizer,
  template: ChatTemplate,
  trainOnInputs: boolean,
  file: string,
  onProgress?: (done: number, total: number) => void,
): FullTokens {
  const result = tokenizeExamples(examples, { tokenizer, template, seqLen: NO_LIMIT, trainOnInputs, file, onProgress });
  return { examples: result.examples, dropped: result.dropped };
}

/** Examples tokenized between two yields to the worker's event loop, so a cancel or a newer request gets in. */
const SLICE = 100;

/**
 * `tokenizeFull` a slice at a time, awaiting `between()` after each slice (it yields, and throws to stop). The
 * same result and the same refusal when no example has a trained token.
 */
export async function tokenizeFullInSlices(
  examples: readonly Example[],
  tokenizer: Tokenizer,
  template: ChatTemplate,
  trainOnInputs: boolean,
  file: string,
  onProgress: (done: number, total: number) => void,
  between: () => Promise<void>,
): Promise<FullTokens> {
  const out: FullTokens = { examples: [], dropped: [] };
  for (let start = 0; start < examples.length; start += SLICE) {
    const slice = examples.slice(start, start + SLICE);
    try {
      const part = tokenizeFull(slice, tokenizer, template, trainOnInputs, file);
      out.examples.push(...part.examples);
      out.dropped.push(...part.dropped);
    } catch (error) {
      // A slice where every example was dropped is refused as a whole; its rows are the dropped ones.
      if (!(error instanceof DatasetError && error.badRows.length === slice.length)) throw error;
      out.dropped.push(...error.badRows);
    }
    onProgress(Math.min(examples.length, start + SLICE), examples.length);
    await between();
  }
  if (out.examples.length === 0) {
    throw new DatasetError(
      file,
      `no example has a trained token: all ${examples.length} were dropped; first: ${formatBadRow(out.dropped[0])}`,
      out.dropped,
    );
  }
  return out;
}

/**
 * Bin edges at a round width (1, 2, 5 × 10^k) so the axis reads well, from a multiple of the width at or below the
 * shortest example to past the longest, so the bars fill the chart whatever the lengths.
 */
export function lengthHistogram(lengths: readonly number[], bins = BINS): HistogramBin[] {
  if (lengths.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const n of lengths) {
    min = Math.min(min, n);
    max = Math.max(max, n);
  }
  const raw = Math.max(1, (max - min + 1) / bins);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const width = [1, 2, 5, 10].map((m) => m * magnitude).find((w) => w >= raw)!;
  const start = Math.floor(min / width) * width;
  const count = Math.floor((max - start) / width) + 1;
  const out: HistogramBin[] = Array.from({ length: count }, (_, i) => ({
    from: start + i * width,
    to: start + (i + 1) * width,
    count: 0,
  }));
  for (const n of lengths) out[Math.floor((n - start) / width)].count++;
  return out;
}

/** Trained tokens among the first `seqLen` (position 0 is never a target). */
function trainedWithin(example: TokenizedExample, seqLen: number): number {
  let n = 0;
  const end = Math.min(seqLen, example.trained.length);
  for (let i = 1; i < end; i++) n += example.trained[i];
  return n;
}

export function previewSpans(example: TokenizedExample, seqLen: number, tokenizer: Tokenizer): TokenSpan[] {
  const decoder = tokenizer.createStreamDecoder();
  const spans: TokenSpan[] = [];
  const end = Math.min(seqLen, example.ids.length, PREVIEW_TOKENS);
  for (let i = 0; i < end; i++) {
    const trained = i > 0 && example.trained[i] === 1;
    const text = decoder.push(example.ids[i]);
    const last = spans.at(-1);
    if (last && last.trained === trained) {
      last.text += text;
      last.tokens++;
    } else {
      spans.push({ text, trained, tokens: 1 });
    }
  }
  const rest = decoder.flush();
  if (rest && spans.length) spans[spans.length - 1].text += rest;
  return spans;
}

export interface LengthSummary extends DatasetLengths {
  /** Examples with nothing trained within `seqLen`, besides those dropped at tokenizing. */
  cutOff: BadRow[];
}

export function summarizeLengths(
  full: FullTokens,
  options: { seqLen: number; validationFraction: number; seed: number },
  tokenizer: Tokenizer,
): LengthSummary {
  const { seqLen } = options;
  const lengths = full.examples.map((e) => e.ids.length);
  const sorted = Float64Array.from(lengths).sort();
  const n = sorted.length;
  const median = n === 0 ? 0 : n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const usable: TokenizedExample[] = [];
  const cutOff: BadRow[] = [];
  let totalTokens = 0;
  let trainedTokens = 0;
  full.examples.forEach((example, index) => {
    const trained = trainedWithin(example, seqLen);
    if (trained === 0) {
      const reason = `every trained token is past the sequence length (${example.ids.length} tokens, limit ${seqLen})`;
      cutOff.push({ line: example.line ?? index + 1, reason });
      return;
    }
    usable.push(example);
    totalTokens += Math.min(seqLen, example.ids.length);
    trainedTokens += trained;
  });
  const split = usable.length ? splitTrainValidation(usable, options) : { train: [], validation: [] };
  const preview = usable.slice(0, PREVIEW_ROWS).map(
    (example, index): PreviewRow => ({
      line: example.line ?? index + 1,
      tokens: Math.min(seqLen, example.ids.length),
      trainedTokens: trainedWithin(example, seqLen),
      fullTokens: example.ids.length,
      spans: previewSpans(example, seqLen, tokenizer),
    }),
  );
  return {
    seqLen,
    overLength: lengths.filter((length) => length > seqLen).length,
    histogram: lengthHistogram(lengths),
    totalTokens,
    trainedTokens,
    maxTokens: n ? sorted[n - 1] : 0,
    medianTokens: median,
    split: { train: split.train.length, validation: split.validation.length },
    preview,
    sampling: null,
    cutOff,
  };
}

/** Train/validation counts a split of `n` examples is expected to make (a sampled file's estimate). */
export function splitCounts(n: number, fraction: number): { train: number; validation: number } {
  const validation = expectedValidationCount(n, fraction);
  return { train: n - validation, validation };
}

/**
 * The figures of a whole file from a uniform sample of its examples: `sample` is the sample tokenized (`rows`
 * examples before any were dropped), `head` the file's first examples tokenized (for the preview), `examples`
 * how many the file has. Counts (over-length, tokens, the split) are the sample's shares scaled to the file; the
 * histogram, median and longest are the sample's own. Rows dropped are listed from the sample only.
 */
export function estimateLengths(
  sample: FullTokens,
  head: FullTokens,
  sampling: DatasetSampling,
  options: { seqLen: number; validationFraction: number; seed: number },
  tokenizer: Tokenizer,
): LengthSummary {
  const scale = sampling.of / Math.max(1, sampling.examples);
  const estimate = (n: number) => Math.round(n * scale);
  const fromSample = summarizeLengths(sample, { ...options, validationFraction: 0 }, tokenizer);
  const usable = estimate(fromSample.split.train);
  const fromHead = summarizeLengths(head, { ...options, validationFraction: 0 }, tokenizer);
  return {
    ...fromSample,
    overLength: estimate(fromSample.overLength),
    totalTokens: estimate(fromSample.totalTokens),
    trainedTokens: estimate(fromSample.trainedTokens),
    split: splitCounts(usable, options.validationFraction),
    preview: fromHead.preview,
    sampling,
  };
}
