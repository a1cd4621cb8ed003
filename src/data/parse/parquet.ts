/**
 * Parquet rows through hyparquet, a slice of rows at a time: the file is read by byte ranges (`Blob.slice`), so a
 * large file is never one buffer. Row numbers are 1-based positions in the file ("row 12"), Parquet having no lines.
 * The footer is checked first (parquet-checks.ts), and each row group's pages before hyparquet first decodes them
 * (parquet-pages.ts): hyparquet trusts both.
 */
import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetRead, type ParquetRow, parquetSchema, type SchemaTree } from 'hyparquet';
import { DatasetError } from '../types';
import { checkedCompressors, checkFooterLength, checkParquetMetadata, checkParquetSchema } from './parquet-checks';
import { rowGroupPageScan } from './parquet-pages';

/** Rows decoded per read: small enough to report progress often, large enough to amortise page decoding. */
const ROWS_PER_READ = 2048;

export interface ParquetSink {
  /** The schema's top-level columns, and each one's type when it is not text (null for text). */
  header(columns: string[], types: ReadonlyMap<string, string | null>): void;
  row(row: Record<string, unknown>, rowNumber: number): void;
  /** Called after each slice with the share of rows read so far; may throw to stop. */
  progress(rowsRead: number, totalRows: number): void;
}

/** null for a column hyparquet decodes as strings (BYTE_ARRAY), else its type as a reader would name it. */
function nonTextType(column: SchemaTree): string | null {
  const { type, converted_type: converted, logical_type: logical } = column.element;
  if (column.children.length > 0 || !type) return `a nested ${logical?.type ?? converted ?? 'group'}`;
  if (type === 'BYTE_ARRAY') return null;
  return logical?.type ?? converted ?? type;
}

/**
 * Rows [start, end) as objects. hyparquet fills rows a row group's pages do not hold with undefined, so each
 * column's decoded rows are counted (from its chunks) and a shortfall is refused: a footer whose row counts lie
 * would otherwise yield phantom rows up to its claim.
 */
async function readSlice(file: string, buffer: AsyncBuffer, metadata: FileMetaData, columns: string[], start: number, end: number) {
  const covered = new Map<string, number>(columns.map((name) => [name, 0]));
  let rows: ParquetRow[] = [];
  try {
    await parquetRead({
      file: buffer,
      metadata,
      rowStart: start,
      rowEnd: end,
      rowFormat: 'object',
      compressors: checkedCompressors,
      onChunk: (chunk) => {
        const inRange = Math.min(chunk.rowEnd, end) - Math.max(chunk.rowStart, start);
        if (inRange > 0) covered.set(chunk.columnName, (covered.get(chunk.columnName) ?? 0) + inRange);
      },
      onComplete: (decoded) => (rows = decoded),
    });
  } catch (error) {
    if (error instanceof DatasetError) throw error; // a refused byte range (blobBuffer) names its file already
    throw new DatasetError(file, `rows ${start + 1}–${end} cannot be decoded: ${reason(error)}`);
  }
  for (const [name, count] of covered) {
    if (count < end - start) {
      throw new DatasetError(
        file,
        `rows ${start + 1}–${end}: the pages of column "${name}" hold ${count} of these ${end - start} rows; ` +
          `the footer counts more rows (num_rows ${metadata.num_rows}) than the file holds`,
      );
    }
  }
  return rows;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The file as hyparquet's byte-range reader. Node's `Blob.slice` aborts the whole process (a native assertion)
 * on an offset that is not a uint32, so a range from corrupt metadata is refused before it reaches the blob.
 */
export function blobBuffer(blob: Blob, file: string): AsyncBuffer {
  return {
    byteLength: blob.size,
    slice(start, end = blob.size) {
      const inFile = (n: number) => Number.isSafeInteger(n) && n >= 0 && n <= blob.size;
      if (!inFile(start) || !inFile(end) || start > end) {
        return Promise.reject(new DatasetError(file, `a read of bytes ${start}–${end} lies outside the file's ${blob.size} bytes: its metadata is corrupt`));
      }
      return blob.slice(start, end).arrayBuffer();
    },
  };
}

/** `fromRow` (0-based) skips the rows before it without decoding them: a streamed run resuming mid-file. */
export async function readParquetRows(blob: Blob, file: string, sink: ParquetSink, fromRow = 0): Promise<void> {
  if (blob.size < 12) throw new DatasetError(file, `is not a Parquet file: ${blob.size} bytes is too short`);
  const magic = new TextDecoder().decode(await blob.slice(0, 4).arrayBuffer());
  const tail = new TextDecoder().decode(await blob.slice(blob.size - 4).arrayBuffer());
  if (magic !== 'PAR1' || tail !== 'PAR1') throw new DatasetError(file, 'is not a Parquet file (no "PAR1" marker at its start and end)');
  checkFooterLength(file, blob.size, new DataView(await blob.slice(blob.size - 8, blob.size - 4).arrayBuffer()).getUint32(0, true));
  const buffer = blobBuffer(blob, file);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new DatasetError(file, `the Parquet footer cannot be read: ${reason(error)}`);
  }
  const leafColumns = checkParquetSchema(file, metadata.schema);
  const total = checkParquetMetadata(file, metadata, blob.size, leafColumns);
  let tree: SchemaTree;
  try {
    tree = parquetSchema(metadata);
  } catch (error) {
    throw new DatasetError(file, `the Parquet schema cannot be read: ${reason(error)}`);
  }
  const schema = tree.children;
  const names = schema.map((child) => child.element.name);
  const scanPages = rowGroupPageScan(file, buffer, metadata, tree);
  sink.header(names, new Map(schema.map((child) => [child.element.name, nonTextType(child)])));
  for (let start = fromRow; start < total; start += ROWS_PER_READ) {
    const end = Math.min(total, start + ROWS_PER_READ);
    await scanPages(start, end); // before hyparquet decodes a row group's pages for the first time
    const rows = await readSlice(file, buffer, metadata, names, start, end);
    rows.forEach((row, i) => sink.row(row, start + i + 1));
    sink.progress(end, total);
  }
}
