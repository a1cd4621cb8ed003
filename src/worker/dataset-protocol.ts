/**
 * The dataset part of the worker protocol: what the studio asks for (a file and settings) and the plain summary
 * it gets back. The parsed and tokenized dataset stays in the worker; only counts, a few preview rows as token
 * spans, histogram bins and the first bad rows cross over.
 */
import type { BadRow, DatasetFileSummary, DatasetReadSettings, DatasetSource, RowUnit, SummarySettings } from '../data';
import type { Spec } from './request-spec';

export type { DatasetSource };
// The summary's parts are plain data defined beside the code that computes them (src/data/summary).
export type { DatasetLengths, DatasetSampling, HistogramBin, PreviewRow, TokenSpan } from '../data';

/**
 * The Datasets view's settings: how the file is read (shape, mapping, bad rows; a Train run started on the same
 * file reads it the same way) and what the token figures are measured with (sequence length, mask, split).
 */
export interface DatasetSettings extends DatasetReadSettings, SummarySettings {}

export interface DatasetProgress {
  /** 'reading': `done` and `total` are bytes of the file; 'tokenizing': examples of the (sampled) rows. */
  phase: 'reading' | 'tokenizing';
  done: number;
  total: number;
  /** The request this progress belongs to, so the studio can cancel it (a `cancel` message naming it). */
  request?: number;
}

export interface DatasetProgressEvent {
  kind: 'dataset-progress';
  requestId: number;
  progress: DatasetProgress;
}

/** Whose tokenizer and chat template made the tokens. */
export interface DatasetTokenizerInfo {
  model: string;
  /** 'loaded': the model loaded in the playground; 'bundled': stories260K read for its tokenizer alone. */
  origin: 'loaded' | 'bundled';
  template: 'model' | 'chatml' | 'plain';
}

/** A file's summary (src/data/summary) and whose tokenizer made its tokens. */
export interface DatasetSummary extends DatasetFileSummary {
  tokenizer: DatasetTokenizerInfo;
}

/** Why a file or a setting gives no dataset. `columns` lets the user fix a mapping even after a refusal. */
export interface DatasetFailure {
  file: string;
  message: string;
  badRows: BadRow[];
  columns: string[];
  rowUnit: RowUnit;
  /** 'dataset': the file or settings; 'tokenizer': no tokenizer could be had; 'cancelled': the user stopped the
   * reading (the file is no longer open); 'internal': a bug. */
  kind: 'dataset' | 'tokenizer' | 'cancelled' | 'internal';
}

/** Reads a dataset file in the worker (streamed, with `dataset-progress` events) and summarises it. */
export interface OpenDatasetRequest {
  source: DatasetSource;
  settings: DatasetSettings;
}

/**
 * kind → what the request carries, its reply, and its events. Failures carry a DatasetFailure (domain 'dataset');
 * a `cancel` naming the request stops the reading, with a failure of kind 'cancelled'.
 */
export interface DatasetRequests {
  'open-dataset': Spec<OpenDatasetRequest, DatasetSummary, DatasetProgressEvent>;
  /** New settings for the dataset already open: re-read only when the shape, mapping or bad-row choice changed. */
  'update-dataset': Spec<{ settings: DatasetSettings }, DatasetSummary, DatasetProgressEvent>;
}
