/**
 * Each column chunk's pages walked before hyparquet decodes them. hyparquet trusts page headers and run
 * headers: a page claiming more values than its chunk, or one RLE run header claiming 2^30 values in a page of
 * 16, makes it allocate and fill arrays of that length (minutes of CPU, gigabytes, a frozen tab). The walk uses
 * hyparquet's own page-header reader and mirrors where its decoder reads each RLE/bit-packed section (levels,
 * dictionary indices, RLE booleans), so every run the decoder will meet is checked first. A row group is
 * scanned once, the first time a slice of rows needs it, one column chunk in memory at a time.
 */
import { type AsyncBuffer, type ColumnMetaData, type FileMetaData, type PageHeader, type SchemaTree, snappyUncompress } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { getMaxDefinitionLevel, getMaxRepetitionLevel, getTreePath } from 'hyparquet/src/schema.js';
import { DatasetError } from '../types';
import { quoted } from './limits';
import { count, show, snappyDecodedBound } from './parquet-checks';
import { type HybridSection, scanHybrid } from './parquet-hybrid';

/**
 * Values in one page: 2^24 (16 Mi). hyparquet decodes a page's levels and values into arrays of this length at
 * once: in Node, filling an array of 2^24 takes 0.3 s and 170 MB, of 2^26 11 s and 1.2 GB. Writers end a page at
 * about 1 MiB of encoded data (parquet-mr and arrow-rs also at 20 000 rows), so real pages hold far fewer.
 */
export const MAX_PAGE_VALUES = 2 ** 24;

/**
 * Values in one column chunk of a repeated column: 2^26 (64 Mi). hyparquet decodes a nested column's whole chunk
 * for every slice of rows, so past this a row group cannot be read in a tab anyway; a chat column holds a few
 * values per row. A column that does not repeat holds one value per row: at most its row group's num_rows.
 */
export const MAX_NESTED_CHUNK_VALUES = 2 ** 26;

/** The value encodings hyparquet decodes with `readRleBitPackedHybrid`. */
const HYBRID_ENCODINGS: ReadonlySet<string> = new Set(['RLE', 'RLE_DICTIONARY', 'PLAIN_DICTIONARY']);

type Fail = (problem: string) => never;

/** One column chunk, as the decoder will see it. */
interface Chunk {
  meta: ColumnMetaData;
  /** The schema element's `type_length` (FIXED_LEN_BYTE_ARRAY). */
  typeLength: number;
  maxRepetition: number;
  maxDefinition: number;
  /** The chunk's `num_values`, checked. */
  values: number;
  /** Where its bytes start in the file, for messages. */
  fileOffset: number;
}

/**
 * A function to call before rows [start, end) are decoded: it scans the row groups they overlap that were not
 * scanned yet (row groups of 0 rows are never read, so never scanned). Slices must come in increasing order.
 */
export function rowGroupPageScan(file: string, buffer: AsyncBuffer, metadata: FileMetaData, schema: SchemaTree) {
  const groups = metadata.row_groups;
  const starts: number[] = [];
  let rows = 0;
  for (const group of groups) {
    starts.push(rows);
    rows += Number(group.num_rows);
  }
  let next = 0; // groups before it were scanned or lie before every slice asked for
  return async (start: number, end: number): Promise<void> => {
    while (next < groups.length && starts[next] + Number(groups[next].num_rows) <= start) next++;
    for (; next < groups.length && starts[next] < end; next++) {
      if (Number(groups[next].num_rows) > 0) await scanRowGroup(file, buffer, metadata, schema, next);
    }
  };
}

async function scanRowGroup(file: string, buffer: AsyncBuffer, metadata: FileMetaData, schema: SchemaTree, g: number) {
  const group = metadata.row_groups[g];
  for (const [c, column] of group.columns.entries()) {
    const meta = column.meta_data!; // parquet-checks.ts refused chunks without metadata
    const path = Array.isArray(meta.path_in_schema) ? meta.path_in_schema : [];
    const where = `row group ${g + 1}, column ${path.length ? quoted(path.join('.')) : c + 1}`;
    const fail: Fail = (problem) => {
      throw new DatasetError(file, `${where}: ${problem}`);
    };
    if (!path.length) fail('the column chunk has no path_in_schema');
    let schemaPath: SchemaTree[];
    try {
      schemaPath = getTreePath(schema, path);
    } catch {
      return fail(`path_in_schema ${quoted(path.join('.'))} names no column of the schema`);
    }
    const leaf = schemaPath[schemaPath.length - 1];
    if (leaf.children.length > 0) fail(`path_in_schema ${quoted(path.join('.'))} names a group, not a leaf column`);
    const maxRepetition = getMaxRepetitionLevel(schemaPath);
    const values = count(meta.num_values) ?? fail(`num_values is ${show(meta.num_values)}, not a count`);
    const groupRows = Number(group.num_rows);
    if (maxRepetition === 0 && values > groupRows) {
      fail(`num_values ${values} is more than the row group's ${groupRows} rows, but a column that does not repeat holds one value per row`);
    }
    if (maxRepetition > 0 && values > MAX_NESTED_CHUNK_VALUES) {
      fail(`num_values ${values} is over the ${MAX_NESTED_CHUNK_VALUES} values a column chunk of a nested column may hold here`);
    }
    // The range hyparquet reads (an offset of 0 means no dictionary page), bounds-checked by parquet-checks.ts.
    const fileOffset = Number(meta.dictionary_page_offset || meta.data_page_offset);
    const bytes = new Uint8Array(await buffer.slice(fileOffset, fileOffset + Number(meta.total_compressed_size)));
    const typeLength = count(leaf.element.type_length) ?? 0;
    const chunk = { meta, typeLength, maxRepetition, maxDefinition: getMaxDefinitionLevel(schemaPath), values, fileOffset };
    checkChunkPages(chunk, bytes, (page, problem) => {
      throw new DatasetError(file, `${where}, page ${page}: ${problem}`);
    });
  }
}

/** Every page of one chunk's bytes, walked as hyparquet's `readColumn` walks them. */
function checkChunkPages(chunk: Chunk, bytes: Uint8Array, pageFail: (page: number, problem: string) => never): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let dataValues = 0;
  // hyparquet stops when at most one byte is left: a last lone byte is not a page.
  for (let at = 0, page = 1; at < bytes.length - 1; page++) {
    const fail: Fail = (problem) => pageFail(page, problem);
    const reader = { view, offset: at };
    let header: PageHeader;
    try {
      header = parquetHeader(reader);
    } catch (error) {
      return fail(`the page header at byte ${chunk.fileOffset + at} cannot be read: ${reason(error)}`);
    }
    const compressed = byteCount(header.compressed_page_size, 'compressed_page_size', fail);
    const uncompressed = byteCount(header.uncompressed_page_size, 'uncompressed_page_size', fail);
    const dataEnd = reader.offset + compressed;
    if (dataEnd > bytes.length) {
      fail(
        `compressed_page_size ${compressed} from byte ${chunk.fileOffset + reader.offset} runs past the column chunk, ` +
          `which ends at byte ${chunk.fileOffset + bytes.length - 1}`,
      );
    }
    const codec = chunk.meta.codec;
    const bound = snappyDecodedBound(compressed);
    if ((codec === 'SNAPPY' || codec === 'UNCOMPRESSED') && uncompressed > bound) {
      fail(`uncompressed_page_size ${uncompressed} is over the ${bound} bytes a ${codec} page of ${compressed} bytes can decode to`);
    }
    const data = bytes.subarray(reader.offset, dataEnd);
    if (header.type === 'DICTIONARY_PAGE') {
      checkDictionaryPage(chunk, header, uncompressed, fail);
    } else if (header.type === 'DATA_PAGE') {
      dataValues += checkDataPage(chunk, header, data, uncompressed, fail);
    } else if (header.type === 'DATA_PAGE_V2') {
      dataValues += checkDataPageV2(chunk, header, data, uncompressed, fail);
    } else {
      fail(`a page of type ${header.type ?? 'unknown'} cannot be read (a data or dictionary page was expected)`);
    }
    if (dataValues > chunk.values) {
      fail(`the data pages hold ${dataValues} values so far, more than the column chunk's num_values ${chunk.values}`);
    }
    at = dataEnd;
  }
}

function byteCount(value: unknown, field: string, fail: Fail): number {
  return count(value) ?? fail(`${field} is ${show(value)}, not a byte count`);
}

/** A data page's `num_values`, checked against the page cap and its chunk. */
function pageValues(chunk: Chunk, value: unknown, fail: Fail): number {
  const n = count(value) ?? fail(`num_values is ${show(value)}, not a count`);
  if (n > MAX_PAGE_VALUES) fail(`num_values ${n} is over the ${MAX_PAGE_VALUES} values a page may hold here`);
  if (n > chunk.values) fail(`num_values ${n} is more than the column chunk's num_values ${chunk.values}`);
  return n;
}

/** Bits per value (the levels' width): as hyparquet's `bitWidth`. */
function bitWidth(maxLevel: number): number {
  return 32 - Math.clz32(maxLevel);
}

/**
 * The dictionary's entries are PLAIN values, so they must fit in the page's decoded bytes. (Not bounded by the
 * chunk's num_values: Arrow writes a categorical column's whole dictionary, used or not, into every row group.)
 */
function checkDictionaryPage(chunk: Chunk, header: PageHeader, uncompressed: number, fail: Fail): void {
  const dictionary = header.dictionary_page_header ?? fail('a DICTIONARY_PAGE has no dictionary_page_header');
  const n = count(dictionary.num_values) ?? fail(`the dictionary's num_values is ${show(dictionary.num_values)}, not a count`);
  if (n > MAX_PAGE_VALUES) fail(`the dictionary's num_values ${n} is over the ${MAX_PAGE_VALUES} values a page may hold here`);
  const bits = plainBits(chunk);
  if (n * bits > uncompressed * 8) {
    const each = bits % 8 ? `${bits} bit` : `${bits / 8} bytes`;
    fail(`the dictionary's num_values ${n} cannot fit in its ${uncompressed} bytes: a PLAIN ${chunk.meta.type} value takes at least ${each}`);
  }
}

/** The fewest bits a PLAIN value of the column's type takes (a BYTE_ARRAY value: its 4-byte length). */
function plainBits(chunk: Chunk): number {
  switch (chunk.meta.type) {
    case 'BOOLEAN':
      return 1;
    case 'INT64':
    case 'DOUBLE':
      return 64;
    case 'INT96':
      return 96;
    case 'FIXED_LEN_BYTE_ARRAY':
      return chunk.typeLength * 8;
    default:
      return 32;
  }
}

/**
 * DATA_PAGE (V1): levels and values all inside the (compressed) page data. Each level section is a 4-byte length
 * and hybrid runs; the non-null values the definition levels count are what the value section must hold.
 */
function checkDataPage(chunk: Chunk, header: PageHeader, data: Uint8Array, uncompressed: number, fail: Fail): number {
  const page = header.data_page_header ?? fail('a DATA_PAGE has no data_page_header');
  const n = pageValues(chunk, page.num_values, fail);
  const hybridValues = HYBRID_ENCODINGS.has(page.encoding);
  if (!chunk.maxRepetition && !chunk.maxDefinition && !hybridValues) return n;
  const decoded = decompressed(chunk, data, uncompressed, fail);
  if (!decoded) return n; // a codec hyparquet has no decoder for: it refuses the page itself
  let at = 0;
  if (chunk.maxRepetition) {
    at = lengthPrefixed({ what: 'the repetition levels', bytes: decoded, start: at, width: bitWidth(chunk.maxRepetition), values: n, unit: 'values' }, fail).end;
  }
  let nonNull = n;
  if (chunk.maxDefinition) {
    const levels = { what: 'the definition levels', bytes: decoded, start: at, width: bitWidth(chunk.maxDefinition), values: n, unit: 'values' };
    ({ end: at, matches: nonNull } = lengthPrefixed({ ...levels, countEqual: chunk.maxDefinition }, fail));
  }
  if (hybridValues) {
    const unit = chunk.maxDefinition ? 'non-null values' : 'values';
    if (chunk.meta.type === 'BOOLEAN') {
      lengthPrefixed({ what: 'the RLE booleans', bytes: decoded, start: at, width: 1, values: nonNull, unit }, fail);
    } else {
      const width = bitWidthByte(decoded, at, fail);
      // hyparquet fills a width-0 page with zeros without reading runs.
      const indices = { what: 'the dictionary indices', bytes: decoded, start: at + 1, end: decoded.length, width, values: nonNull, unit };
      if (width) scanHybrid(indices, fail);
    }
  }
  return n;
}

/**
 * DATA_PAGE_V2: repetition then definition levels, uncompressed, at the page's start (their byte lengths in the
 * header); then the values, compressed when `is_compressed`.
 */
function checkDataPageV2(chunk: Chunk, header: PageHeader, data: Uint8Array, uncompressed: number, fail: Fail): number {
  const page = header.data_page_header_v2 ?? fail('a DATA_PAGE_V2 has no data_page_header_v2');
  const n = pageValues(chunk, page.num_values, fail);
  const nulls = count(page.num_nulls);
  if (nulls === null || nulls > n) fail(`num_nulls ${show(page.num_nulls)} is not a count of at most the page's ${n} values`);
  const rows = count(page.num_rows);
  if (rows === null || rows > n) fail(`num_rows ${show(page.num_rows)} is not a count of at most the page's ${n} values`);
  const repetitionBytes = byteCount(page.repetition_levels_byte_length, 'repetition_levels_byte_length', fail);
  const definitionBytes = byteCount(page.definition_levels_byte_length, 'definition_levels_byte_length', fail);
  const levelBytes = repetitionBytes + definitionBytes;
  if (levelBytes > Math.min(data.length, uncompressed)) {
    fail(
      `its levels (repetition_levels_byte_length ${repetitionBytes} + definition_levels_byte_length ${definitionBytes}) ` +
        `run past its ${data.length} bytes (uncompressed_page_size ${uncompressed})`,
    );
  }
  if (chunk.maxRepetition) {
    const width = bitWidth(chunk.maxRepetition);
    scanHybrid({ what: 'the repetition levels', bytes: data, start: 0, end: repetitionBytes, width, values: n, unit: 'values' }, fail);
  }
  if (chunk.maxDefinition) {
    const width = bitWidth(chunk.maxDefinition);
    scanHybrid({ what: 'the definition levels', bytes: data, start: repetitionBytes, end: levelBytes, width, values: n, unit: 'values' }, fail);
  }
  if (!HYBRID_ENCODINGS.has(page.encoding)) return n;
  // As hyparquet: without definition levels it takes the values from the end of the repetition levels.
  const raw = data.subarray(chunk.maxDefinition ? levelBytes : repetitionBytes);
  const size = uncompressed - levelBytes;
  const values = page.is_compressed !== false && size ? decompressed(chunk, raw, size, fail) : raw;
  if (!values) return n;
  const nonNull = n - nulls!;
  const unit = chunk.maxDefinition ? 'non-null values' : 'values';
  if (page.encoding === 'RLE') {
    lengthPrefixed({ what: 'the RLE booleans', bytes: values, start: 0, width: 1, values: nonNull, unit }, fail);
  } else {
    const width = bitWidthByte(values, 0, fail);
    scanHybrid({ what: 'the dictionary indices', bytes: values, start: 1, end: values.length, width, values: nonNull, unit }, fail);
  }
  return n;
}

/** The dictionary indices' bit-width byte: at most 32 (hyparquet reads up to 4 bytes per RLE value). */
function bitWidthByte(bytes: Uint8Array, at: number, fail: Fail): number {
  if (at >= bytes.length) fail(`the page ends before the bit width of its dictionary indices (byte ${at})`);
  const width = bytes[at];
  if (width > 32) fail(`the dictionary indices have a bit width of ${width}; at most 32 is possible`);
  return width;
}

/** A section that starts with its 4-byte length (V1 levels, RLE booleans): its end, and the values counted. */
function lengthPrefixed(section: Omit<HybridSection, 'end'>, fail: Fail): { end: number; matches: number } {
  const { what, bytes, start } = section;
  if (start + 4 > bytes.length) fail(`the page's ${bytes.length} bytes end before the 4-byte length of ${what}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset + start, 4).getUint32(0, true);
  const end = start + 4 + length;
  if (end > bytes.length) fail(`${what} are ${length} bytes long, past the page's end (${bytes.length - start - 4} bytes left)`);
  return { end, matches: scanHybrid({ ...section, start: start + 4, end }, fail) };
}

/** A page's data as hyparquet decodes it, or null for a codec it has no decoder for (it refuses those pages). */
function decompressed(chunk: Chunk, data: Uint8Array, size: number, fail: Fail): Uint8Array | null {
  if (chunk.meta.codec === 'UNCOMPRESSED') return data;
  if (chunk.meta.codec !== 'SNAPPY') return null;
  if (size > snappyDecodedBound(data.length)) fail(`its ${data.length} bytes of Snappy data cannot decode to the ${size} bytes its header claims`);
  const output = new Uint8Array(size);
  try {
    snappyUncompress(data, output);
  } catch (error) {
    fail(`its Snappy data cannot be decompressed: ${reason(error)}`);
  }
  return output;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
