/**
 * One dataset file of any supported type (.jsonl .json .csv .tsv .parquet .txt) → examples, bad rows, and the
 * columns the rows have (for the studio's column mapping). The file is streamed (`Blob.stream()`, or byte ranges
 * for Parquet), with progress after every chunk; `onProgress` may throw to stop reading (a newer file was asked).
 */
import { type BadRow, DatasetError, type DatasetShape, type Example } from '../types';
import { DelimitedReader } from './delimited';
import { textChunks } from './lines';
import { DatasetParser } from './parse';
import { readParquetRows } from './parquet';
import { JsonArrayReader, JsonLinesReader, type RecordSink } from './records';
import { checkColumns, type ColumnMapping, RowCollector } from './rows';

export type FileContainer = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet' | 'txt';
export const DATASET_EXTENSIONS = ['.jsonl', '.json', '.csv', '.tsv', '.parquet', '.txt'] as const;

export interface FileParseOptions {
  /** The file's name; its extension picks the reader. */
  file: string;
  format?: DatasetShape | 'auto';
  mapping?: ColumnMapping;
  onBadRow?: 'skip' | 'fail';
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Told the column names as soon as they are known, also when the file is then refused (so the user can map). */
  onColumns?: (columns: string[]) => void;
  /** Streams each example here instead of keeping it: `examples` is then empty and the counts cover the whole
   * file, so a file larger than memory can still be counted and sampled. */
  onExample?: (example: Example) => void;
}

export interface FileParseResult {
  examples: Example[];
  badRows: BadRow[];
  badRowCount: number;
  rows: number;
  shape: DatasetShape;
  container: FileContainer;
  /** Column names (header, schema, or the first JSON row's keys); empty for plain text. */
  columns: string[];
  /** What bad-row numbers count: file lines (text formats) or rows (Parquet). */
  rowUnit: 'line' | 'row';
}

export function containerOf(file: string): FileContainer {
  const extension = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase();
  switch (extension) {
    case 'jsonl':
    case 'ndjson':
      return 'jsonl';
    case 'json':
      return 'json';
    case 'csv':
      return 'csv';
    case 'tsv':
      return 'tsv';
    case 'parquet':
      return 'parquet';
    case 'txt':
    case 'text':
    case 'md':
      return 'txt';
    default:
      throw new DatasetError(
        file,
        `unsupported file type ${extension ? `".${extension}"` : '(no extension)'}; expected ${DATASET_EXTENSIONS.join(', ')}`,
      );
  }
}

/** A NUL byte never occurs in UTF-8 text datasets; in the first bytes it means an image, an archive, a model… */
async function refuseBinary(blob: Blob, file: string): Promise<void> {
  const head = new Uint8Array(await blob.slice(0, 8192).arrayBuffer());
  const nul = head.indexOf(0);
  if (nul >= 0) throw new DatasetError(file, `is a binary file, not text (a NUL byte at byte ${nul})`);
}

export async function parseDatasetFile(blob: Blob, options: FileParseOptions): Promise<FileParseResult> {
  const { file } = options;
  const format = options.format ?? 'auto';
  const mapping = options.mapping ?? {};
  const onBadRow = options.onBadRow ?? 'skip';
  const container = containerOf(file);
  if (blob.size === 0) throw new DatasetError(file, 'the file is empty (0 bytes)');
  const collector = new RowCollector(file, format, mapping, onBadRow, options.onExample);

  if (container === 'parquet') {
    let columns: string[] = [];
    let shape: DatasetShape = 'text';
    await readParquetRows(blob, file, {
      header: (names) => {
        columns = names;
        options.onColumns?.(names);
        shape = checkColumns(file, names, format, mapping, 'the schema');
      },
      row: (row, n) => collector.value(row, n),
      progress: (read, total) => options.onProgress?.(Math.round((blob.size * read) / Math.max(1, total)), blob.size),
    });
    const result = collector.finish('the Parquet file has no rows');
    return { ...result, shape, container, columns, rowUnit: 'row' };
  }

  await refuseBinary(blob, file);
  let read = 0;
  const counted = async function* (): AsyncGenerator<Uint8Array> {
    const reader = blob.stream().getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        read += value.length;
        yield value;
        options.onProgress?.(read, blob.size);
      }
    } finally {
      reader.releaseLock();
    }
  };

  if (container === 'txt') {
    const parser = new DatasetParser({
      file,
      container: 'txt',
      format: format === 'auto' ? 'auto' : format,
      onBadRow,
      onExample: options.onExample,
    });
    for await (const chunk of textChunks(counted(), file)) parser.push(chunk);
    const parsed = parser.finish();
    return { ...parsed, container, columns: [], rowUnit: 'line' };
  }

  if (container === 'csv' || container === 'tsv') {
    let columns: string[] = [];
    let shape: DatasetShape | null = null;
    const reader = new DelimitedReader(file, container === 'csv' ? ',' : '\t', {
      header: (names, line) => {
        columns = names;
        options.onColumns?.(names);
        shape = checkColumns(file, names, format, mapping, `the header (line ${line})`);
      },
      row: (row, line) => collector.value(row, line),
      bad: (line, reason) => {
        collector.countRow();
        collector.bad({ line, reason });
      },
    });
    for await (const chunk of textChunks(counted(), file)) reader.push(chunk);
    reader.finish();
    const result = collector.finish('the file has a header but no rows');
    return { ...result, shape: shape ?? result.shape, container, columns, rowUnit: 'line' };
  }

  // JSON Lines, or a JSON array (a ".json" file that is really JSON Lines is read as lines).
  const sink: RecordSink = {
    value: (value, line) => {
      const first = collector.firstKeys === null;
      collector.value(value, line);
      if (first && collector.firstKeys) options.onColumns?.(collector.firstKeys);
    },
    paragraph: () => undefined,
    bad: (row) => {
      collector.countRow();
      collector.bad(row);
    },
  };
  let recordReader: JsonLinesReader | JsonArrayReader | null = null;
  let held = '';
  for await (const chunk of textChunks(counted(), file)) {
    if (recordReader) {
      recordReader.push(chunk);
      continue;
    }
    held += chunk;
    const first = held.search(/\S/);
    if (first < 0) continue;
    recordReader = container === 'json' && held[first] === '[' ? new JsonArrayReader(sink, file) : new JsonLinesReader(sink);
    recordReader.push(held);
    held = '';
  }
  if (!recordReader) throw new DatasetError(file, 'the file has only blank lines: no examples');
  recordReader.finish();
  const isArray = recordReader instanceof JsonArrayReader;
  const result = collector.finish(isArray ? 'the JSON array is empty: no examples' : 'no examples');
  const columns = collector.firstKeys ?? [];
  return { ...result, container: isArray ? 'json' : 'jsonl', columns, rowUnit: 'line' };
}
