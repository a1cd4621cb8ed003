/**
 * The one entry point for a dataset file, in the browser and in Node: any container (.jsonl .json .csv .tsv
 * .parquet .txt) and shape, with the column mapping, → typed examples, bad rows by line and the columns, or a
 * `DatasetError` naming the file and what is wrong. The CLI (through load-node.ts), the Datasets view, the Train
 * view's runs and Compare's evaluation all read files here. The file is streamed (`Blob.stream()`, or byte ranges
 * for Parquet), with progress after every chunk; `onProgress` may throw to stop reading (a newer file was asked).
 */
import { streamChunks } from '../core/stream-chunks';
import { containerOf } from './parse/container';
import { textChunks } from './parse/lines';
import { DatasetParser, type ParseOptions, type ParseResult, readSettingsOf } from './parse/parse';
import { readParquetRows } from './parse/parquet';
import { checkColumns, checkColumnTypes, RowCollector } from './parse/rows';
import { DatasetError, type DatasetShape } from './types';

/** A File's name (when it has one) names the file in every message and picks the container by extension. */
export async function parseDatasetBlob(blob: Blob & { name?: string }, options: ParseOptions = {}): Promise<ParseResult> {
  const file = options.file ?? blob.name ?? 'dataset';
  const container = containerOf(file);
  if (blob.size === 0) throw new DatasetError(file, 'the file is empty (0 bytes)');
  if (container === 'parquet') return parseParquet(blob, file, options);
  await refuseBinary(blob, file);
  const parser = new DatasetParser({ ...options, file });
  for await (const chunk of textChunks(countedChunks(blob, options.onProgress), file)) parser.push(chunk);
  return parser.finish();
}

/** A NUL byte never occurs in UTF-8 text datasets; in the first bytes it means an image, an archive, a model… */
export async function refuseBinary(blob: Blob, file: string): Promise<void> {
  const head = new Uint8Array(await blob.slice(0, 8192).arrayBuffer());
  const nul = head.indexOf(0);
  if (nul >= 0) throw new DatasetError(file, `is a binary file, not text (a NUL byte at byte ${nul})`);
}

async function* countedChunks(blob: Blob, onProgress: ParseOptions['onProgress']): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const value of streamChunks(blob.stream())) {
    read += value.length;
    yield value;
    onProgress?.(read, blob.size);
  }
}

async function parseParquet(blob: Blob, file: string, options: ParseOptions): Promise<ParseResult> {
  const settings = readSettingsOf(options);
  const rows = new RowCollector(file, settings, options.onExample);
  let columns: string[] = [];
  let shape: DatasetShape = 'text';
  await readParquetRows(blob, file, {
    header: (names, types) => {
      columns = names;
      options.onColumns?.(names);
      shape = checkColumns(file, names, settings.format, settings.mapping, 'the schema');
      checkColumnTypes(file, shape, settings.mapping, types);
      rows.useShape(shape);
    },
    row: (row, n) => rows.value(row, n),
    progress: (done, total) => options.onProgress?.(Math.round((blob.size * done) / Math.max(1, total)), blob.size),
  });
  const result = rows.finish('the Parquet file has no rows');
  return { ...result, container: 'parquet', columns, rowUnit: 'row' };
}
