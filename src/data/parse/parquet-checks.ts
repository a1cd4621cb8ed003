/**
 * A Parquet file's footer checked against the file's own size before any page is read. hyparquet trusts the
 * footer: a tampered `num_rows` of 2^60 would make the row loop spin for ever, a column offset past the end or
 * a page claiming to decode to gigabytes would fail deep inside it or exhaust memory. Each check refuses with a
 * `DatasetError` naming the field, its value and what it should have been.
 */
import { type Compressors, type FileMetaData, type SchemaElement, snappyUncompress } from 'hyparquet';
import { DatasetError } from '../types';
import { MAX_ROW_FIELDS, quoted } from './limits';

/**
 * The footer (thrift-encoded metadata) hyparquet decodes into objects in one go: 8 MiB. Measured in Node, a
 * hostile 16 MiB footer of empty structs decodes in 3.3 s to 1.2 GB; real footers of datasets are a few KiB to a
 * few MiB (8 MiB holds some 40 000 column chunks with statistics: thousands of row groups of a wide table).
 */
export const MAX_PARQUET_FOOTER_BYTES = 8 * 2 ** 20;

/** Rows in one file: 2^32. A browser reads some 10^6 rows a second, so more would take over an hour to read. */
export const MAX_PARQUET_ROWS = 2 ** 32;

/**
 * Rows per byte of file: 4096. Bit-packed dictionary indices cost about a bit per row; only runs of identical
 * values in every column go denser, and a file of millions of identical rows is not a training set. This refuses
 * a small file claiming billions of rows before reading starts.
 */
export const MAX_PARQUET_ROWS_PER_BYTE = 4096;

/**
 * A column chunk's `total_uncompressed_size`: 8 GiB (a default pyarrow row group, 2^20 rows, of 8 KiB texts).
 * hyparquet decodes a page at a time, so this is a sanity bound on the field; what a page may allocate is bounded
 * by `MAX_SNAPPY_EXPANSION` below.
 */
export const MAX_CHUNK_UNCOMPRESSED_BYTES = 8 * 2 ** 30;

/**
 * How much larger than its compressed bytes a Snappy page can decode to: at most 64 bytes per 3-byte copy tag
 * (about 21×), so 32× is never exceeded by a real page; a page header claiming more would allocate gigabytes for
 * a few bytes of file. The same bound holds for a whole SNAPPY or UNCOMPRESSED column chunk.
 */
export const MAX_SNAPPY_EXPANSION = 32;

/** Groups inside groups in the schema: 64 (a chat column, list<struct<role, content>>, needs 4). */
export const MAX_SCHEMA_DEPTH = 64;

/** "PAR1" at the start; the footer ends with its 4-byte length and "PAR1" again. */
const MAGIC_BYTES = 4;
const TRAILER_BYTES = 8;

/** A count as a JS number, or null when it is not a whole number from 0 to 2^53 (thrift i64 are bigints). */
export function count(value: unknown): number | null {
  if (typeof value === 'bigint') return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  return null;
}

/** A footer or page header field for a message: its number, "missing", or what it is instead. */
export function show(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  return `not a number (${typeof value})`;
}

/** The footer length, read from the 4 bytes before the final "PAR1", against the room the file has for it. */
export function checkFooterLength(file: string, fileBytes: number, footerBytes: number): void {
  const room = fileBytes - MAGIC_BYTES - TRAILER_BYTES;
  if (footerBytes === 0) throw new DatasetError(file, 'the Parquet footer length is 0: the file has no metadata');
  if (footerBytes > room) {
    throw new DatasetError(
      file,
      `the Parquet footer length ${footerBytes} does not fit in the file: its ${fileBytes} bytes leave ${room} between the "PAR1" markers`,
    );
  }
  if (footerBytes > MAX_PARQUET_FOOTER_BYTES) {
    throw new DatasetError(
      file,
      `the Parquet footer is ${footerBytes} bytes, over the ${MAX_PARQUET_FOOTER_BYTES / 2 ** 20} MiB it may take here ` +
        `(a dataset's footer is a few KiB to a few MiB)`,
    );
  }
}

/**
 * Walks the flat schema list (root first, each group followed by its children) without recursion, so garbage
 * cannot overflow the stack or send hyparquet's tree builder past the end. Returns the number of leaf columns.
 */
export function checkParquetSchema(file: string, schema: readonly SchemaElement[]): number {
  const fail = (problem: string): never => {
    throw new DatasetError(file, `the Parquet schema ${problem}`);
  };
  if (!Array.isArray(schema) || schema.length === 0) fail('is empty');
  const childCount = (element: SchemaElement, name: string): number => {
    if (element.num_children === undefined) return 0;
    return count(element.num_children) ?? fail(`gives ${name} ${show(element.num_children)} children`);
  };
  const top = childCount(schema[0], 'the root');
  if (top === 0) fail('has no columns');
  if (top > MAX_ROW_FIELDS) fail(`has ${top} columns; at most ${MAX_ROW_FIELDS} can be read`);
  const open: number[] = [top]; // children still to come, for each group being read
  const topNames = new Set<string>();
  let leaves = 0;
  let i = 1;
  for (; open.length > 0; i++) {
    const element = schema[i];
    if (!element) fail(`ends after ${schema.length} elements, but its groups' num_children promise more`);
    if (typeof element.name !== 'string' || !element.name) fail(`element ${i} has no name`);
    const name = quoted(element.name);
    if (open.length === 1) {
      if (topNames.has(element.name)) fail(`names column ${name} twice`);
      topNames.add(element.name);
    }
    open[open.length - 1]--;
    const children = childCount(element, name);
    if (children > 0) {
      if (open.length >= MAX_SCHEMA_DEPTH) fail(`nests ${name} more than ${MAX_SCHEMA_DEPTH} groups deep`);
      open.push(children);
    } else {
      if (!element.type) fail(`element ${name} has neither a type nor children`);
      leaves++;
    }
    while (open.length > 0 && open[open.length - 1] === 0) open.pop();
  }
  if (i !== schema.length) fail(`has ${schema.length} elements, but its root's and groups' num_children account for ${i}`);
  return leaves;
}

/**
 * Row counts and every column chunk's byte range against the file. `leafColumns`: from `checkParquetSchema`.
 * Returns the number of rows, a safe integer that the row groups add up to.
 */
export function checkParquetMetadata(file: string, metadata: FileMetaData, fileBytes: number, leafColumns: number): number {
  const fail = (problem: string): never => {
    throw new DatasetError(file, problem);
  };
  const rows = count(metadata.num_rows) ?? fail(`the Parquet footer's num_rows is ${show(metadata.num_rows)}, not a row count`);
  if (!Array.isArray(metadata.row_groups)) fail('the Parquet footer has no list of row groups');
  const dataEnd = fileBytes - TRAILER_BYTES - metadata.metadata_length; // column data lies in [4, dataEnd)
  let sum = 0;
  metadata.row_groups.forEach((group, g) => {
    const at = `row group ${g + 1}`;
    sum += count(group.num_rows) ?? fail(`${at}: num_rows is ${show(group.num_rows)}, not a row count`);
    if (!Array.isArray(group.columns) || group.columns.length !== leafColumns) {
      fail(`${at} has ${Array.isArray(group.columns) ? group.columns.length : 'no'} column chunks; the schema has ${leafColumns} columns`);
    }
    group.columns.forEach((chunk, c) => {
      const meta = chunk.meta_data;
      const path = Array.isArray(meta?.path_in_schema) ? meta.path_in_schema.join('.') : '';
      const where = `${at}, column ${path ? quoted(path) : c + 1}`;
      if (chunk.file_path) fail(`${where}: its data is in another file (${quoted(chunk.file_path)}), which cannot be read here`);
      if (!meta) return fail(`${where}: the column chunk has no metadata (an encrypted or corrupt file)`);
      const offset = (field: string, value: unknown): number => {
        const n = count(value);
        if (n === null || n < MAGIC_BYTES || n >= dataEnd) {
          fail(`${where}: ${field} ${show(value)} is outside the file's column data (bytes ${MAGIC_BYTES}–${dataEnd - 1})`);
        }
        return n!;
      };
      const data = offset('data_page_offset', meta.data_page_offset);
      // hyparquet reads from the dictionary page when there is one (an offset of 0 means none).
      const hasDictionary = meta.dictionary_page_offset !== undefined && count(meta.dictionary_page_offset) !== 0;
      const start = hasDictionary ? offset('dictionary_page_offset', meta.dictionary_page_offset) : data;
      const size = count(meta.total_compressed_size);
      if (size === null || start + size > dataEnd) {
        fail(
          `${where}: total_compressed_size ${show(meta.total_compressed_size)} from byte ${start} runs past the file's ` +
            `column data, which ends at byte ${dataEnd - 1}`,
        );
      }
      const decoded = count(meta.total_uncompressed_size);
      const bound =
        meta.codec === 'SNAPPY' || meta.codec === 'UNCOMPRESSED'
          ? Math.min(MAX_CHUNK_UNCOMPRESSED_BYTES, size! * MAX_SNAPPY_EXPANSION + 2 ** 16)
          : MAX_CHUNK_UNCOMPRESSED_BYTES;
      if (decoded === null || decoded > bound) {
        fail(
          `${where}: total_uncompressed_size ${show(meta.total_uncompressed_size)} is over the ${bound} bytes a ` +
            `${meta.codec ?? 'compressed'} chunk of ${size} bytes can decode to`,
        );
      }
    });
  });
  if (sum !== rows) fail(`the Parquet footer's num_rows is ${rows}, but its ${metadata.row_groups.length} row groups hold ${sum} rows`);
  if (rows > MAX_PARQUET_ROWS) fail(`the Parquet footer's num_rows is ${rows}, over the ${MAX_PARQUET_ROWS} rows a file may have here`);
  if (rows > fileBytes * MAX_PARQUET_ROWS_PER_BYTE) {
    fail(
      `the Parquet footer's num_rows is ${rows} for a file of ${fileBytes} bytes: more than ` +
        `${MAX_PARQUET_ROWS_PER_BYTE} rows per byte cannot be real data`,
    );
  }
  return rows;
}

/** The most bytes `inputBytes` of Snappy data can decode to (64 for its preamble and a last literal). */
export function snappyDecodedBound(inputBytes: number): number {
  return inputBytes * MAX_SNAPPY_EXPANSION + 64;
}

/** hyparquet's Snappy decoder, refusing a page whose claimed size no Snappy data could decode to. */
export const checkedCompressors: Compressors = {
  SNAPPY(input, outputLength) {
    const bound = snappyDecodedBound(input.length);
    if (!Number.isSafeInteger(outputLength) || outputLength < 0 || outputLength > bound) {
      throw new Error(
        `a Snappy page of ${input.length} bytes claims to decode to ${outputLength} bytes, more than Snappy can expand ` +
          `(${MAX_SNAPPY_EXPANSION}×): the page header is corrupt`,
      );
    }
    const output = new Uint8Array(outputLength);
    snappyUncompress(input, output);
    return output;
  },
};
