/**
 * Parquet rows through hyparquet, a slice of rows at a time: the file is read by byte ranges (`Blob.slice`), so a
 * large file is never one buffer. Row numbers are 1-based positions in the file ("row 12"), Parquet having no lines.
 */
import { type AsyncBuffer, parquetMetadataAsync, parquetReadObjects, parquetSchema, type SchemaTree } from 'hyparquet';
import { DatasetError } from '../types';

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

function blobBuffer(blob: Blob): AsyncBuffer {
  return { byteLength: blob.size, slice: (start, end) => blob.slice(start, end).arrayBuffer() };
}

/** `fromRow` (0-based) skips the rows before it without decoding them: a streamed run resuming mid-file. */
export async function readParquetRows(blob: Blob, file: string, sink: ParquetSink, fromRow = 0): Promise<void> {
  if (blob.size < 12) throw new DatasetError(file, `is not a Parquet file: ${blob.size} bytes is too short`);
  const magic = new TextDecoder().decode(await blob.slice(0, 4).arrayBuffer());
  const tail = new TextDecoder().decode(await blob.slice(blob.size - 4).arrayBuffer());
  if (magic !== 'PAR1' || tail !== 'PAR1') throw new DatasetError(file, 'is not a Parquet file (no "PAR1" marker at its start and end)');
  const buffer = blobBuffer(blob);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new DatasetError(file, `the Parquet footer cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const schema = parquetSchema(metadata).children;
  sink.header(
    schema.map((child) => child.element.name),
    new Map(schema.map((child) => [child.element.name, nonTextType(child)])),
  );
  const total = Number(metadata.num_rows);
  for (let start = fromRow; start < total; start += ROWS_PER_READ) {
    const end = Math.min(total, start + ROWS_PER_READ);
    let rows;
    try {
      rows = await parquetReadObjects({ file: buffer, metadata, rowStart: start, rowEnd: end });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new DatasetError(file, `rows ${start + 1}–${end} cannot be decoded: ${why}`);
    }
    rows.forEach((row, i) => sink.row(row, start + i + 1));
    sink.progress(end, total);
  }
}
