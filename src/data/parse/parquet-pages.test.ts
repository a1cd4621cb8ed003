/**
 * The page scan (parquet-pages.ts): valid files, V2 as hyparquet-writer writes them and the same pages rewritten
 * as V1 (what pyarrow writes by default), read exactly as hyparquet reads them; corrupt pages and run headers end
 * in a DatasetError naming the row group, column and page, before hyparquet spins on them.
 */
import { type FileMetaData, type PageHeader, parquetMetadata, parquetReadObjects, snappyUncompress } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { getMaxDefinitionLevel, getMaxRepetitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../types';
import { concatBytes } from '../../model/source';
import { blobBuffer, readParquetRows } from './parquet';
import { withFooter } from './parquet-testing';

interface Page {
  header: PageHeader;
  data: Uint8Array;
}

/** Where a page sits, for edits: 0-based row group and column, 1-based page; the column's levels and codec. */
interface PagePlace {
  group: number;
  column: number;
  page: number;
  name: string;
  maxRepetition: number;
  maxDefinition: number;
  snappy: boolean;
}

/** A page's replacement: itself, an edited copy, or several pages. */
type PageEdit = (page: Page, at: PagePlace) => Page | Page[];

/** The pages of one column chunk, as hyparquet's header reader sees them. */
function chunkPages(bytes: Uint8Array, metadata: FileMetaData, group: number, column: number): Page[] {
  const meta = metadata.row_groups[group].columns[column].meta_data!;
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const end = start + Number(meta.total_compressed_size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pages: Page[] = [];
  for (let at = start; at < end; ) {
    const reader = { view, offset: at };
    const header = parquetHeader(reader);
    pages.push({ header, data: bytes.slice(reader.offset, reader.offset + header.compressed_page_size) });
    at = reader.offset + header.compressed_page_size;
  }
  return pages;
}

/**
 * The file written again page by page through `edit` (headers as the edit leaves them), chunk offsets and sizes
 * recomputed; page indexes, bloom filters and statistics are dropped (reading needs none).
 */
function rebuild(bytes: Uint8Array, edit: PageEdit): Uint8Array<ArrayBuffer> {
  const metadata = parquetMetadata(bytes);
  const writer = new ByteWriter();
  writer.appendBytes(new TextEncoder().encode('PAR1'));
  metadata.row_groups.forEach((group, g) => {
    const groupStart = writer.offset;
    group.columns.forEach((chunk, c) => {
      const meta = chunk.meta_data!;
      const schemaPath = getSchemaPath(metadata.schema, meta.path_in_schema);
      const place = {
        group: g,
        column: c,
        name: meta.path_in_schema.join('.'),
        maxRepetition: getMaxRepetitionLevel(schemaPath),
        maxDefinition: getMaxDefinitionLevel(schemaPath),
        snappy: meta.codec === 'SNAPPY',
      };
      const pages = chunkPages(bytes, metadata, g, c);
      const start = writer.offset;
      let uncompressed = 0;
      meta.dictionary_page_offset = undefined;
      meta.data_page_offset = -1n;
      pages.forEach((original, p) => {
        for (const page of [edit(original, { ...place, page: p + 1 })].flat()) writePage(page);
      });
      function writePage(page: Page) {
        const headerAt = writer.offset;
        if (page.header.type === 'DICTIONARY_PAGE') meta.dictionary_page_offset = BigInt(headerAt);
        else if (meta.data_page_offset < 0n) meta.data_page_offset = BigInt(headerAt);
        writePageHeader(writer, page.header as Parameters<typeof writePageHeader>[1]); // hyparquet-writer's own copy of the type
        uncompressed += writer.offset - headerAt + page.header.uncompressed_page_size;
        writer.appendBytes(page.data);
      }
      meta.total_compressed_size = BigInt(writer.offset - start);
      meta.total_uncompressed_size = BigInt(uncompressed);
      delete meta.statistics;
      delete meta.bloom_filter_offset;
      delete meta.bloom_filter_length;
      for (const index of ['offset_index_offset', 'offset_index_length', 'column_index_offset', 'column_index_length'] as const) delete chunk[index];
    });
    group.total_compressed_size = BigInt(writer.offset - groupStart);
    if (group.file_offset !== undefined) group.file_offset = BigInt(groupStart);
  });
  writeMetadata(writer, metadata as Parameters<typeof writeMetadata>[1]);
  writer.appendBytes(new TextEncoder().encode('PAR1'));
  return new Uint8Array(writer.getBuffer());
}

function uint32(n: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, n, true);
  return bytes;
}

/** An unsigned LEB128 varint: a hybrid run header. */
function varint(n: number): Uint8Array {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return new Uint8Array(out);
}

/** A V2 page's parts: levels as written, values decompressed. */
function v2Parts(page: Page, at: PagePlace) {
  const v2 = page.header.data_page_header_v2!;
  const repetition = page.data.subarray(0, v2.repetition_levels_byte_length);
  const definition = page.data.subarray(v2.repetition_levels_byte_length, v2.repetition_levels_byte_length + v2.definition_levels_byte_length);
  const raw = page.data.subarray(repetition.length + definition.length);
  const size = page.header.uncompressed_page_size - repetition.length - definition.length;
  let values = raw;
  if (at.snappy && v2.is_compressed !== false && size) snappyUncompress(raw, (values = new Uint8Array(size)));
  return { v2, repetition, definition, values };
}

/** A V2 page with some of its parts replaced, sizes and lengths in its header made to match. */
function v2Page(page: Page, at: PagePlace, parts: { definition?: Uint8Array; values?: Uint8Array }): Page {
  const old = v2Parts(page, at);
  const definition = parts.definition ?? old.definition;
  const values = parts.values ?? old.values;
  const stored = at.snappy && old.v2.is_compressed !== false ? snappyCompress(values) : values;
  const data = concatBytes([old.repetition, definition, stored]);
  const header = {
    ...page.header,
    compressed_page_size: data.length,
    uncompressed_page_size: old.repetition.length + definition.length + values.length,
    data_page_header_v2: { ...old.v2, definition_levels_byte_length: definition.length },
  };
  return { header, data };
}

/** A DATA_PAGE_V2 rewritten as the DATA_PAGE (V1) pyarrow writes: each level section length-prefixed, all compressed. */
const asDataPageV1: PageEdit = (page, at) => {
  if (page.header.type !== 'DATA_PAGE_V2') return page;
  const { v2, repetition, definition, values } = v2Parts(page, at);
  const plain = concatBytes([
    ...(at.maxRepetition ? [uint32(repetition.length), repetition] : []),
    ...(at.maxDefinition ? [uint32(definition.length), definition] : []),
    values,
  ]);
  const data = at.snappy ? snappyCompress(plain) : plain;
  const data_page_header = { num_values: v2.num_values, encoding: v2.encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' } as const;
  return { header: { type: 'DATA_PAGE', uncompressed_page_size: plain.length, compressed_page_size: data.length, data_page_header }, data };
};

/** Only the page at `group`/`column`/`page` (0-based, 0-based, 1-based) is edited. */
function onPage(group: number, column: number, page: number, edit: PageEdit): PageEdit {
  return (p, at) => (at.group === group && at.column === column && at.page === page ? edit(p, at) : p);
}

async function readRows(bytes: Uint8Array<ArrayBuffer>, file = 't.parquet'): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  await readParquetRows(new Blob([bytes]), file, { header: () => {}, row: (row) => rows.push(row), progress: () => {} });
  return rows;
}

async function refusal(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const error = await readRows(bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return (error as DatasetError).message;
}

const utf8 = { type: 'BYTE_ARRAY', converted_type: 'UTF8' } as const;

/** 4000 rows in 3 row groups of several pages: required and optional text, a dictionary column with nulls, RLE booleans and a chat column. */
function mixedFile(): Uint8Array<ArrayBuffer> {
  const rows = 4000;
  const messages = (i: number) =>
    i % 17 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => ({ role: k % 2 ? 'assistant' : 'user', content: `turn ${k} of ${i}` }));
  const buffer = parquetWriteBuffer({
    schema: [
      { name: 'root', num_children: 5 },
      { name: 'text', ...utf8, repetition_type: 'REQUIRED' },
      { name: 'note', ...utf8, repetition_type: 'OPTIONAL' },
      { name: 'source', ...utf8, repetition_type: 'OPTIONAL' },
      { name: 'flag', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
      { name: 'messages', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
      { name: 'role', ...utf8, repetition_type: 'OPTIONAL' },
      { name: 'content', ...utf8, repetition_type: 'OPTIONAL' },
    ],
    columnData: [
      { name: 'text', data: Array.from({ length: rows }, (_, i) => `row ${i} ${'x'.repeat(i % 50)}`) },
      { name: 'note', data: Array.from({ length: rows }, (_, i) => (i % 3 ? `note ${i}` : null)) },
      { name: 'source', data: Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : ['web', 'book', 'chat'][i % 3])), encoding: 'RLE_DICTIONARY' },
      { name: 'flag', data: Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : i % 2 === 0)), encoding: 'RLE' },
      { name: 'messages', data: Array.from({ length: rows }, (_, i) => messages(i)) },
    ],
    rowGroupSize: 1500,
    pageSize: 4096,
  });
  return new Uint8Array(buffer);
}

/** One optional text column: a dictionary page (3 distinct values) and one data page of 16 rows, 4 of them null. */
function smallFile(options: { codec?: 'SNAPPY' | 'UNCOMPRESSED'; distinct?: number } = {}): Uint8Array<ArrayBuffer> {
  const { codec = 'SNAPPY', distinct = 3 } = options;
  const data = Array.from({ length: 16 }, (_, i) => (i % 4 === 3 ? null : `value ${i % distinct}`));
  const column = { name: 'text', data, type: 'STRING' as const, encoding: 'RLE_DICTIONARY' as const };
  return new Uint8Array(parquetWriteBuffer({ columnData: [column], codec }));
}

describe('valid files read exactly as hyparquet reads them', () => {
  it('a file of three row groups with nulls, a dictionary, RLE booleans and a chat column, as V2 and as V1', async () => {
    const v2 = mixedFile();
    const metadata = parquetMetadata(v2);
    expect(metadata.row_groups).toHaveLength(3);
    const encodings = metadata.row_groups[0].columns.map((c) => c.meta_data!.encodings);
    expect(encodings[2]).toContain('RLE_DICTIONARY');
    expect(encodings[3]).toContain('RLE');
    expect(chunkPages(v2, metadata, 0, 0).length).toBeGreaterThan(2);
    const reference = await parquetReadObjects({ file: v2.slice().buffer });
    expect(reference[4]).toMatchObject({ text: 'row 4 xxxx', note: 'note 4', source: 'book', flag: true });
    expect(await readRows(v2)).toEqual(reference);
    expect(await readRows(rebuild(v2, asDataPageV1))).toEqual(reference);
    const uncompressed = rebuild(v2, (page, at) => {
      if (page.header.type !== 'DATA_PAGE_V2' || !at.snappy) return page;
      const parts = v2Parts(page, at);
      const data = concatBytes([parts.repetition, parts.definition, parts.values]);
      return { header: { ...page.header, compressed_page_size: data.length, data_page_header_v2: { ...parts.v2, is_compressed: false } }, data };
    });
    expect(await readRows(uncompressed)).toEqual(reference);
  });

  it('a dictionary of one value (bit width 0) and a page of nothing but nulls', async () => {
    const one = smallFile({ distinct: 1 });
    expect(v2Parts(chunkPages(one, parquetMetadata(one), 0, 0)[1], { snappy: true } as PagePlace).values[0]).toBe(0);
    const nulls = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: [null, null, null], type: 'STRING' }] }));
    for (const bytes of [one, nulls]) {
      const expected = await parquetReadObjects({ file: bytes.slice().buffer });
      expect(await readRows(bytes)).toEqual(expected);
      expect(await readRows(rebuild(bytes, asDataPageV1))).toEqual(expected);
    }
  });
});

describe('corrupt RLE/bit-packed runs are refused before hyparquet decodes them', () => {
  const at = 't.parquet: row group 1, column "text", page 2';

  it('a definition-level run of 2^30 − 1 values in a page of 16 (the fuzzer hang), V2 and V1', async () => {
    const huge = onPage(0, 0, 2, (page, place) => v2Page(page, place, { definition: concatBytes([varint((2 ** 30 - 1) * 2), new Uint8Array([1])]) }));
    const message = `${at}: the definition levels hold a run of 1073741823 values, but the page has 16 values`;
    expect(await refusal(rebuild(smallFile(), huge))).toBe(message);
    expect(await refusal(rebuild(rebuild(smallFile(), huge), asDataPageV1))).toBe(message);
    expect(await refusal(rebuild(rebuild(smallFile({ codec: 'UNCOMPRESSED' }), huge), asDataPageV1))).toBe(message);
  });

  it('a run of 0 values, a run header over 2^31 or longer than 5 bytes, and levels that end early', async () => {
    const definition = (bytes: number[]) => onPage(0, 0, 2, (page, place) => v2Page(page, place, { definition: new Uint8Array(bytes) }));
    expect(await refusal(rebuild(smallFile(), definition([0, 1, 32, 1])))).toBe(`${at}: the definition levels hold a run of 0 values (byte 0)`);
    expect(await refusal(rebuild(smallFile(), definition([0x80, 0x80, 0x80, 0x80, 0x08, 1])))).toBe(
      `${at}: the definition levels have a run header of 2147483648 (byte 0), over 2^31`,
    );
    expect(await refusal(rebuild(smallFile(), definition([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])))).toBe(
      `${at}: the definition levels have a run header (byte 0) longer than 5 bytes`,
    );
    expect(await refusal(rebuild(smallFile(), definition([16, 1])))).toBe(`${at}: the definition levels end after 8 of the page's 16 values`);
    expect(await refusal(rebuild(smallFile(), definition([16, 1, 0x90])))).toBe(`${at}: the definition levels end inside a run header (byte 2)`);
    expect(await refusal(rebuild(smallFile(), definition([32])))).toBe(`${at}: the definition levels end inside the value of a run of 16 (byte 0)`);
    // Bit-packed: 3 groups (24 values, 3 bytes at width 1) with one byte left in the section.
    expect(await refusal(rebuild(smallFile(), definition([7, 0xff])))).toBe(
      `${at}: the definition levels hold a bit-packed run of 24 values (byte 0) whose 3 bytes run past the section's end (1 byte left)`,
    );
    // Padding a bit-packed run to a group of 8 is legal: 3 groups for 16 values read as 2 full ones.
    expect(await readRows(rebuild(smallFile(), definition([5, 0x77, 0x77])))).toHaveLength(16);
  });

  it('dictionary indices: a run past the page\'s non-null values (V2 num_nulls, V1 counted from the levels), a bit width of 40', async () => {
    const values = (bytes: number[]) => onPage(0, 0, 2, (page, place) => v2Page(page, place, { values: new Uint8Array(bytes) }));
    const longRun = values([2, 13 * 2, 1]); // width 2, a run of 13 values: the page has 12 non-null ones
    const message = `${at}: the dictionary indices hold a run of 13 values, but the page has 12 non-null values`;
    expect(await refusal(rebuild(smallFile(), longRun))).toBe(message);
    expect(await refusal(rebuild(rebuild(smallFile(), longRun), asDataPageV1))).toBe(message);
    const wide = values([40, 24, 1, 0, 0, 0, 0]);
    expect(await refusal(rebuild(smallFile(), wide))).toBe(`${at}: the dictionary indices have a bit width of 40; at most 32 is possible`);
    expect(await refusal(rebuild(rebuild(smallFile(), wide), asDataPageV1))).toContain('a bit width of 40');
    const empty = values([]);
    expect(await refusal(rebuild(smallFile({ codec: 'UNCOMPRESSED' }), empty))).toBe(`${at}: the page ends before the bit width of its dictionary indices (byte 0)`);
  });

  it('a width-0 bit-packed run of 2^30 values, which packs no bytes (hyparquet would loop on it)', async () => {
    const packed = onPage(0, 0, 2, (page, place) => v2Page(page, place, { values: concatBytes([new Uint8Array([0]), varint(2 ** 27 * 2 + 1)]) }));
    expect(await refusal(rebuild(smallFile({ distinct: 1 }), packed))).toBe(
      `${at}: the dictionary indices hold a bit-packed run of 1073741824 values, but the page has 12 non-null values`,
    );
  });
});

describe('V1 pages: level sections and Snappy data', () => {
  const at = 't.parquet: row group 1, column "text", page 2';
  const v1 = (codec: 'SNAPPY' | 'UNCOMPRESSED') => rebuild(smallFile({ codec }), asDataPageV1);
  const data = (edit: (data: Uint8Array) => Uint8Array) => onPage(0, 0, 2, (page) => ({ ...page, data: edit(page.data.slice()) }));

  it('a level section whose 4-byte length runs past the page, or a page too short for it', async () => {
    const long = data((bytes) => (bytes.set(uint32(5000), 0), bytes));
    expect(await refusal(rebuild(v1('UNCOMPRESSED'), long))).toMatch(new RegExp(`^${at}: the definition levels are 5000 bytes long, past the page's end \\(\\d+ bytes left\\)$`));
    const short = onPage(0, 0, 2, (page) => ({ header: { ...page.header, compressed_page_size: 3, uncompressed_page_size: 3 }, data: page.data.slice(0, 3) }));
    expect(await refusal(rebuild(v1('UNCOMPRESSED'), short))).toBe(`${at}: the page's 3 bytes end before the 4-byte length of the definition levels`);
  });

  it('Snappy data that cannot be decompressed', async () => {
    expect(await refusal(rebuild(v1('SNAPPY'), data((bytes) => bytes.fill(0xff))))).toMatch(new RegExp(`^${at}: its Snappy data cannot be decompressed: `));
  });
});

describe('page headers are checked against their chunk', () => {
  const at = 't.parquet: row group 1, column "text", page 2';
  const header = (edit: (header: PageHeader) => void) =>
    onPage(0, 0, 2, (page) => {
      const copy = structuredClone(page.header);
      edit(copy);
      return { ...page, header: copy };
    });

  it('a page whose compressed size runs past the chunk', async () => {
    const bytes = rebuild(smallFile(), header((h) => (h.compressed_page_size += 1000)));
    expect(await refusal(bytes)).toMatch(new RegExp(`^${at}: compressed_page_size \\d+ from byte \\d+ runs past the column chunk, which ends at byte \\d+$`));
  });

  it('a page claiming more decoded bytes than Snappy gives, or more values than its chunk', async () => {
    expect(await refusal(rebuild(smallFile(), header((h) => (h.uncompressed_page_size = 5000))))).toMatch(
      new RegExp(`^${at}: uncompressed_page_size 5000 is over the \\d+ bytes a SNAPPY page of \\d+ bytes can decode to$`),
    );
    expect(await refusal(rebuild(smallFile(), header((h) => (h.data_page_header_v2!.num_values = 17))))).toBe(
      `${at}: num_values 17 is more than the column chunk's num_values 16`,
    );
    expect(await refusal(rebuild(smallFile(), header((h) => (h.data_page_header_v2!.num_values = 2 ** 24 + 1))))).toBe(
      `${at}: num_values 16777217 is over the 16777216 values a page may hold here`,
    );
    expect(await refusal(rebuild(smallFile(), header((h) => (h.data_page_header_v2!.num_nulls = 17))))).toBe(
      `${at}: num_nulls 17 is not a count of at most the page's 16 values`,
    );
    expect(await refusal(rebuild(smallFile(), header((h) => (h.data_page_header_v2!.num_rows = 20))))).toBe(
      `${at}: num_rows 20 is not a count of at most the page's 16 values`,
    );
    expect(await refusal(rebuild(smallFile(), header((h) => (h.type = 'INDEX_PAGE'))))).toBe(
      `${at}: a page of type INDEX_PAGE cannot be read (a data or dictionary page was expected)`,
    );
    expect(await refusal(rebuild(smallFile(), header((h) => (h.data_page_header_v2!.definition_levels_byte_length = 500))))).toMatch(
      new RegExp(`^${at}: its levels \\(repetition_levels_byte_length 0 \\+ definition_levels_byte_length 500\\) run past its \\d+ bytes`),
    );
  });

  it('data pages that together hold more values than the chunk, and a dictionary too large for its bytes', async () => {
    const bytes = smallFile();
    expect(chunkPages(bytes, parquetMetadata(bytes), 0, 0).map((p) => p.header.type)).toEqual(['DICTIONARY_PAGE', 'DATA_PAGE_V2']);
    // The data page written twice: each page's count fits the chunk, their sum does not.
    expect(await refusal(rebuild(bytes, onPage(0, 0, 2, (page) => [page, page])))).toBe(
      't.parquet: row group 1, column "text", page 3: the data pages hold 32 values so far, more than the column chunk\'s num_values 16',
    );
    const dictionary = onPage(0, 0, 1, (page) => ({ ...page, header: { ...page.header, dictionary_page_header: { num_values: 1000, encoding: 'PLAIN' } } }));
    expect(await refusal(rebuild(bytes, dictionary))).toMatch(
      /^t\.parquet: row group 1, column "text", page 1: the dictionary's num_values 1000 cannot fit in its \d+ bytes: a PLAIN BYTE_ARRAY value takes at least 4 bytes$/,
    );
  });

  it('a chunk claiming more values than its rows (flat) or than a nested chunk may hold, or naming no column', async () => {
    const chunk = (m: FileMetaData) => m.row_groups[0].columns[0].meta_data!;
    expect(await refusal(withFooter(smallFile(), (m) => (chunk(m).num_values = 17n)))).toBe(
      't.parquet: row group 1, column "text": num_values 17 is more than the row group\'s 16 rows, but a column that does not repeat holds one value per row',
    );
    const chat = new Uint8Array(
      parquetWriteBuffer({
        columnData: [{ name: 'tags', data: [['a', 'b'], ['c']] }],
        schema: [
          { name: 'root', num_children: 1 },
          { name: 'tags', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
          { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
          { name: 'element', ...utf8, repetition_type: 'OPTIONAL' },
        ],
      }),
    );
    expect(await readRows(chat)).toEqual([{ tags: ['a', 'b'] }, { tags: ['c'] }]);
    expect(await refusal(withFooter(chat, (m) => (chunk(m).num_values = 2n ** 26n + 1n)))).toBe(
      't.parquet: row group 1, column "tags.list.element": num_values 67108865 is over the 67108864 values a column chunk of a nested column may hold here',
    );
    expect(await refusal(withFooter(smallFile(), (m) => (chunk(m).path_in_schema = ['nope'])))).toBe(
      't.parquet: row group 1, column "nope": path_in_schema "nope" names no column of the schema',
    );
    expect(await refusal(withFooter(chat, (m) => (chunk(m).path_in_schema = ['tags', 'list'])))).toBe(
      't.parquet: row group 1, column "tags.list": path_in_schema "tags.list" names a group, not a leaf column',
    );
  });

  it('a codec hyparquet cannot decode is refused as a DatasetError too', async () => {
    const gzip = withFooter(smallFile(), (m) => (m.row_groups[0].columns[0].meta_data!.codec = 'GZIP'));
    expect(await refusal(gzip)).toBe('t.parquet: rows 1–16 cannot be decoded: parquet unsupported compression codec: GZIP');
    expect(await refusal(rebuild(gzip, asDataPageV1))).toBe('t.parquet: rows 1–16 cannot be decoded: parquet unsupported compression codec: GZIP');
  });
});

describe('the byte-range reader refuses ranges Node would abort on', () => {
  it('an offset past 2^32, a fraction, a negative or reversed range is a DatasetError, never a Blob.slice', async () => {
    const buffer = blobBuffer(new Blob([new Uint8Array(100)]), 'b.parquet');
    for (const [start, end] of [
      [2 ** 32, 2 ** 32 + 10],
      [1.5, 10],
      [-1, 10],
      [20, 10],
      [0, 101],
    ]) {
      const error = await Promise.resolve(buffer.slice(start, end)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as DatasetError).message).toBe(`b.parquet: a read of bytes ${start}–${end} lies outside the file's 100 bytes: its metadata is corrupt`);
    }
    expect((await buffer.slice(90)).byteLength).toBe(10);
  });
});
