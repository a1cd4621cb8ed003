/**
 * The whole data path after parsing, in one call for the CLI and the worker: parsed examples → tokenized and
 * masked → split into training and validation sets, with the figures to show the user. Batches come after, from
 * `TrainBatchIterator` (training) and `fixedOrderBatches` (validation).
 */
import type { ParseResult } from './parse/parse';
import { splitTrainValidation } from './split';
import { type TokenStats, tokenStats } from './stats';
import { type TokenizedExample, type TokenizeOptions, tokenizeExamples } from './tokenize';
import { type BadRow, type DatasetContainer, DatasetError, type DatasetShape } from './types';

export interface PrepareOptions extends TokenizeOptions {
  /** Share held out for validation, in [0, 1). */
  validationFraction: number;
  /** Seeds the split. */
  seed: number;
}

export interface PreparedDataset {
  file: string;
  shape: DatasetShape;
  container: DatasetContainer;
  /** Rows read from the file, rows rejected by the parser (first ones kept), and their count. */
  rows: number;
  badRows: BadRow[];
  badRowCount: number;
  /** Examples cut to the sequence length; examples dropped after tokenizing (nothing trained, template refused). */
  truncatedCount: number;
  dropped: BadRow[];
  train: TokenizedExample[];
  validation: TokenizedExample[];
  stats: { train: TokenStats; validation: TokenStats };
}

export function prepareDataset(parsed: ParseResult, options: PrepareOptions): PreparedDataset {
  const file = options.file ?? 'dataset';
  const tokenized = tokenizeExamples(parsed.examples, { ...options, file });
  let split;
  try {
    split = splitTrainValidation(tokenized.examples, options);
  } catch (e) {
    // A bad fraction, or too few usable examples left to hold some out: say which file.
    if (e instanceof RangeError) throw new DatasetError(file, e.message);
    throw e;
  }
  const { train, validation } = split;
  return {
    file,
    shape: parsed.shape,
    container: parsed.container,
    rows: parsed.rows,
    badRows: parsed.badRows,
    badRowCount: parsed.badRowCount,
    truncatedCount: tokenized.truncatedCount,
    dropped: tokenized.dropped,
    train,
    validation,
    stats: { train: tokenStats(train), validation: tokenStats(validation) },
  };
}
