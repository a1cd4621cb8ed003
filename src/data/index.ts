/**
 * Datasets: file → examples (`parseDatasetBlob`, the one reader for every container) → tokens with trained-token
 * masks (tokenize) → train/validation split → TokenBatches for the engine. Node opens a path with `./load-node`
 * (not re-exported here, so the browser bundle never sees `node:fs`).
 */
export { IGNORE_TARGET, type TokenBatch } from './batch-types';
export {
  type BadRow,
  type ChatExample,
  type ChatTurn,
  DATASET_SHAPES,
  DatasetError,
  type DatasetContainer,
  type DatasetReadSettings,
  type DatasetShape,
  DEFAULT_READ_SETTINGS,
  type Example,
  formatBadRow,
  parseDatasetFormat,
  type RowUnit,
  type TextExample,
} from './types';
export { DatasetParser, parseDatasetText, type ParseOptions, type ParseResult } from './parse/parse';
export { parseDatasetBlob } from './read';
export { containerOf, DATASET_EXTENSIONS } from './parse/container';
export { type TokenizedExample, type TokenizeOptions, type TokenizeResult, tokenizeExamples } from './tokenize';
export { contentKey, expectedValidationCount, isHeldOut, type Split, type SplitOptions, splitTrainValidation } from './split';
export { type TokenStats, tokenStats } from './stats';
export { prepareDataset, type PrepareOptions, type PreparedDataset } from './prepare';
export { assembleBatch, type BatchShape, checkBatchShape, fixedOrderBatches, maxTokensOf, planBatches } from './batches';
export {
  type BatchIteratorOptions,
  type DataPosition,
  DataPositionError,
  datasetHash,
  type NextBatch,
  TrainBatchIterator,
} from './batch-iterator';
export { DataRng, type RngState } from './rng';
export { countMarker, SAMPLE_DATASET } from './sample-dataset';
export { applyMapping, type ColumnMapping, detectShapeFromColumns, MAX_KEPT_BAD_ROWS, SHAPE_FIELDS } from './parse/rows';
export { type DatasetSource, datasetSourceName } from './source';
export type {
  DatasetFileSummary,
  DatasetLengths,
  DatasetSampling,
  HistogramBin,
  PreviewRow,
  SummarySettings,
  TokenSpan,
} from './summary/types';
export {
  estimateLengths,
  type FullTokens,
  lengthHistogram,
  type LengthSummary,
  previewSpans,
  splitCounts,
  summarizeLengths,
  tokenizeFull,
  tokenizeFullInSlices,
} from './summary/lengths';
export { ExampleSampler, SAMPLE_SEED, SAMPLE_SIZE, type SampledDataset, sampleDataset } from './summary/sampler';
export { datasetLengths, fileSummary, type SampledTokens, summarizeDataset, type SummarizeOptions } from './summary/summary';
