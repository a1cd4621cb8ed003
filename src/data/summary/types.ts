/**
 * The plain figures a dataset summary is made of (the Datasets view's panel, `webtune data`): counts, a few
 * preview rows as token spans, histogram bins and the first bad rows. Plain data: it crosses from the worker.
 */
import type { SplitOptions } from '../split';
import type { BadRow, DatasetContainer, DatasetShape, RowUnit } from '../types';

/** What the token figures are measured with: the training sequence length, the label mask and the split. */
export interface SummarySettings extends SplitOptions {
  /** Tokens per training example; longer examples are truncated to it. */
  seqLen: number;
  /** Train on every token, not only the assistant's. */
  trainOnInputs: boolean;
}

/**
 * When a file has more examples than the summary tokenizes, the token figures come from a seeded sample of
 * `examples` of them (of `of` in all) and are estimates; counts of rows, examples and bad rows stay exact.
 */
export interface DatasetSampling {
  examples: number;
  of: number;
}

/** A run of consecutive tokens that are all trained, or all masked, as the text they decode to. */
export interface TokenSpan {
  text: string;
  trained: boolean;
  tokens: number;
}

export interface PreviewRow {
  /** Line (or row, for Parquet) of the example in the file. */
  line: number;
  tokens: number;
  trainedTokens: number;
  /** Tokens before truncation to the sequence length, when it was longer. */
  fullTokens: number;
  spans: TokenSpan[];
}

export interface HistogramBin {
  /** Token lengths in [from, to). */
  from: number;
  to: number;
  count: number;
}

/** What the tokenized examples look like at a sequence length: lengths, split and preview. */
export interface DatasetLengths {
  seqLen: number;
  /** Examples longer than `seqLen` tokens (truncated when used). */
  overLength: number;
  histogram: HistogramBin[];
  totalTokens: number;
  trainedTokens: number;
  maxTokens: number;
  medianTokens: number;
  split: { train: number; validation: number };
  preview: PreviewRow[];
  /** null: every example was tokenized and the figures are exact. Otherwise histogram bins count sampled
   * examples, max/median are the sample's, and overLength, tokens and split are scaled to the whole file. */
  sampling: DatasetSampling | null;
}

/** A whole file's summary: what it is, its rows and bad rows, and its token figures. */
export interface DatasetFileSummary extends DatasetLengths {
  file: string;
  bytes: number;
  container: DatasetContainer;
  shape: DatasetShape;
  /** Column names for the mapping (empty for plain text). */
  columns: string[];
  rowUnit: RowUnit;
  rows: number;
  examples: number;
  /** Bad rows (the first ones) and how many there were in all. */
  badRows: BadRow[];
  badRowCount: number;
  /** Examples left out after tokenizing: nothing trained within the sequence length, or the template refused. */
  dropped: BadRow[];
}
