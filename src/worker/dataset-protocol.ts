/**
 * The dataset part of the worker protocol: what the studio asks for (a file and settings) and the plain summary
 * it gets back. The parsed and tokenized dataset stays in the worker; only counts, a few preview rows as token
 * spans, histogram bins and the first bad rows cross over.
 */
import type { BadRow, DatasetShape, FileContainer } from '../data';

/** A file the user gave, or the sample shipped with the studio (fetched from the app's own origin). */
export type DatasetSource = { kind: 'file'; file: File } | { kind: 'sample' };

export interface DatasetSettings {
  /** 'auto' detects the shape from the first row (or the header). */
  format: DatasetShape | 'auto';
  /** field the shape needs → column that holds it; fields left out read the column of their own name. */
  mapping: Record<string, string>;
  /** 'skip': use the good rows and list the bad ones; 'fail': refuse the file when any row is bad. */
  onBadRow: 'skip' | 'fail';
  /** Tokens per training example; longer examples are truncated to it. */
  seqLen: number;
  /** Train on every token, not only the assistant's. */
  trainOnInputs: boolean;
  /** Share held out for validation, in [0, 1). */
  validationFraction: number;
  seed: number;
}

export interface DatasetProgress {
  /** 'reading': `done` and `total` are bytes of the file; 'tokenizing': examples of the (sampled) rows. */
  phase: 'reading' | 'tokenizing';
  done: number;
  total: number;
  /** The request this progress belongs to, so the studio can cancel it (a `cancel` message naming it). */
  request?: number;
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

/** Whose tokenizer and chat template made the tokens. */
export interface DatasetTokenizerInfo {
  model: string;
  /** 'loaded': the model loaded in the playground; 'bundled': stories260K read for its tokenizer alone. */
  origin: 'loaded' | 'bundled';
  template: 'model' | 'chatml' | 'plain';
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

export interface DatasetSummary extends DatasetLengths {
  file: string;
  bytes: number;
  container: FileContainer;
  shape: DatasetShape;
  /** Column names for the mapping (empty for plain text). */
  columns: string[];
  rowUnit: 'line' | 'row';
  rows: number;
  examples: number;
  /** Bad rows (the first ones) and how many there were in all. */
  badRows: BadRow[];
  badRowCount: number;
  /** Examples left out after tokenizing: nothing trained within the sequence length, or the template refused. */
  dropped: BadRow[];
  tokenizer: DatasetTokenizerInfo;
}

/** Why a file or a setting gives no dataset. `columns` lets the user fix a mapping even after a refusal. */
export interface DatasetFailure {
  file: string;
  message: string;
  badRows: BadRow[];
  columns: string[];
  rowUnit: 'line' | 'row';
  /** 'dataset': the file or settings; 'tokenizer': no tokenizer could be had; 'cancelled': the user stopped the
   * reading (the file is no longer open); 'internal': a bug. */
  kind: 'dataset' | 'tokenizer' | 'cancelled' | 'internal';
}
