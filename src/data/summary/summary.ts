/**
 * A dataset file → the summary the Datasets view shows and `webtune data` prints, from the same steps: one read
 * with a bounded sample (sampler.ts), the sample tokenized at full length, then the figures at the settings'
 * sequence length and split (lengths.ts). The worker runs the steps one by one (keeping each for the next edit,
 * tokenizing in slices between messages); `summarizeDataset` runs them in one go.
 */
import type { ChatTemplate } from '../../model/chat';
import type { Tokenizer } from '../../model/tokenizer';
import type { ParseOptions } from '../parse/parse';
import { DatasetError } from '../types';
import { estimateLengths, type FullTokens, type LengthSummary, summarizeLengths, tokenizeFull } from './lengths';
import { type SampledDataset, sampleDataset, SAMPLE_SIZE } from './sampler';
import type { DatasetFileSummary, SummarySettings } from './types';

/** The sampled read tokenized: the sample, and the file's first examples when the sample is not all of them. */
export interface SampledTokens {
  sample: FullTokens;
  head: FullTokens | null;
}

/** Lists of rows in a summary stop at this many (the counts stay whole). */
const LISTED_ROWS = 200;

/** The token figures at the settings' length and split: exact, or scaled from the sample. */
export function datasetLengths(
  read: SampledDataset,
  tokens: SampledTokens,
  settings: SummarySettings,
  tokenizer: Tokenizer,
  file: string,
): LengthSummary {
  try {
    return read.sampling && tokens.head
      ? estimateLengths(tokens.sample, tokens.head, read.sampling, settings, tokenizer)
      : summarizeLengths(tokens.sample, settings, tokenizer);
  } catch (error) {
    // A split the examples cannot give (a bad fraction, one example with validation asked for).
    throw error instanceof RangeError ? new DatasetError(file, error.message) : error;
  }
}

export function fileSummary(read: SampledDataset, tokens: SampledTokens, lengths: LengthSummary, file: string, bytes: number): DatasetFileSummary {
  const { cutOff, ...figures } = lengths;
  const parsed = read.result;
  return {
    file,
    bytes,
    container: parsed.container,
    shape: parsed.shape,
    columns: parsed.columns,
    rowUnit: parsed.rowUnit,
    rows: parsed.rows,
    examples: read.examples,
    badRows: parsed.badRows.slice(0, LISTED_ROWS),
    badRowCount: parsed.badRowCount,
    dropped: [...tokens.sample.dropped, ...cutOff].slice(0, LISTED_ROWS),
    ...figures,
  };
}

export interface SummarizeOptions extends Omit<ParseOptions, 'onExample' | 'file'>, SummarySettings {
  file: string;
  tokenizer: Tokenizer;
  template: ChatTemplate;
  sampleSize?: number;
}

/** Read, tokenize and summarise a file in one call (the CLI's `webtune data`). */
export async function summarizeDataset(blob: Blob, options: SummarizeOptions): Promise<DatasetFileSummary> {
  const { file, tokenizer, template, trainOnInputs } = options;
  const read = await sampleDataset(blob, options, options.sampleSize ?? SAMPLE_SIZE);
  const tokenize = (examples: typeof read.sample) => tokenizeFull(examples, tokenizer, template, trainOnInputs, file);
  const tokens: SampledTokens = { sample: tokenize(read.sample), head: read.sampling ? tokenize(read.head) : null };
  return fileSummary(read, tokens, datasetLengths(read, tokens, options, tokenizer, file), file, blob.size);
}
