/**
 * Datasets: file → examples (parse) → tokens with trained-token masks (tokenize) → train/validation split →
 * TokenBatches for the engine. Node-only file reading lives in `./load-node` (not re-exported here, so the
 * browser bundle never sees `node:fs`).
 */
export { IGNORE_TARGET, type TokenBatch } from './batch-types';
export {
  type BadRow,
  type ChatExample,
  type ChatTurn,
  DATASET_SHAPES,
  DatasetError,
  type DatasetContainer,
  type DatasetShape,
  type Example,
  formatBadRow,
  parseDatasetFormat,
  type TextExample,
} from './types';
export { DatasetParser, MAX_KEPT_BAD_ROWS, parseDataset, parseDatasetText, type ParseOptions, type ParseResult } from './parse/parse';
export { type ChunkSource } from './parse/lines';
export { parseDatasetBlob } from './load';
export { type TokenizedExample, type TokenizeOptions, type TokenizeResult, tokenizeExamples } from './tokenize';
export { type Split, type SplitOptions, splitTrainValidation } from './split';
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
export {
  containerOf,
  DATASET_EXTENSIONS,
  type FileContainer,
  type FileParseOptions,
  type FileParseResult,
  parseDatasetFile,
} from './parse/open-file';
export { applyMapping, type ColumnMapping, detectShapeFromColumns, SHAPE_FIELDS } from './parse/rows';
