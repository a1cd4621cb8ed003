/**
 * Hostile and corrupt dataset files: each ends in a `DatasetError` (or a bad row) naming the file, the line or
 * row and the field, quickly, never in a hang, a stack overflow or a tab out of memory. Big inputs are built from
 * one repeated 1 MiB piece, so hitting the real 16 MiB caps stays cheap; the unit tests use small caps.
 */
import { type FileMetaData, parquetMetadata, type SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { parseDatasetBlob } from '../read';
import { type BadRow, DatasetError } from '../types';
import { DelimitedReader } from './delimited';
import { findDeepNesting, MAX_JSON_DEPTH } from './limits';
import { LineSplitter } from './lines';
import { parseDatasetText } from './parse';
import { checkParquetSchema } from './parquet-checks';
import { withFooter } from './parquet-testing';
import { JsonArrayReader, ParagraphReader, type RecordSink, WholeTextReader } from './records';

const MiB = 2 ** 20;

/** `head`, then `mib` MiB of `unit` repeated (one shared 1 MiB buffer), then `tail`. */
function bigBlob(head: string, unit: string, mib: number, tail = ''): Blob {
  const piece = new TextEncoder().encode(unit.repeat(MiB / unit.length));
  return new Blob([head, ...Array.from({ length: mib }, () => piece), tail]);
}

async function refusal(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

function thrown(run: () => void): DatasetError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

/** A sink that keeps what it is given. */
function recordSink() {
  const got = { values: [] as [unknown, number][], paragraphs: [] as [string, number][], bad: [] as BadRow[] };
  const sink: RecordSink = {
    value: (value, line) => got.values.push([value, line]),
    paragraph: (text, line) => got.paragraphs.push([text, line]),
    bad: (row) => got.bad.push(row),
  };
  return { got, sink };
}

describe('a record is capped while it is gathered, before its pieces are joined', () => {
  it('LineSplitter refuses line 3 once it passes the cap, and keeps a line exactly at the cap', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((text) => lines.push(text), 1, { file: 'a.jsonl', maxChars: 100 });
    splitter.push('one\n' + 'x'.repeat(100) + '\n');
    splitter.push('y'.repeat(40));
    splitter.push('y'.repeat(40));
    const error = thrown(() => splitter.push('y'.repeat(40)));
    expect(error.message).toBe(
      'a.jsonl: line 3 is longer than 100 characters (120 characters so far) with no line break: not a line-based file, or corrupt',
    );
    expect(lines).toEqual(['one', 'x'.repeat(100)]);
  });

  it('a 20 MiB JSON Lines line with no newline stops at the real 16 MiB cap, while it is read', async () => {
    const error = await refusal(parseDatasetBlob(bigBlob('{"text": "fine"}\n', 'x', 20), { file: 'big.jsonl' }));
    expect(error.message).toMatch(/^big\.jsonl: line 2 is longer than 16 MiB \((\d+) characters so far\) with no line break/);
    const soFar = Number(/\((\d+) characters/.exec(error.message)![1]);
    expect(soFar).toBeGreaterThan(16 * MiB);
    expect(soFar).toBeLessThan(20 * MiB); // refused on the way, not after joining the whole line
  });

  it('an unclosed CSV quote swallowing many lines is refused, naming the line it opened on', () => {
    const rows: number[] = [];
    const reader = new DelimitedReader('q.csv', ',', { header: () => {}, row: (_, line) => rows.push(line), bad: () => {} }, 1000);
    reader.push('text,n\nok,1\n"never closed,2\n');
    const error = thrown(() => {
      for (let i = 0; i < 200; i++) reader.push('more text,3\n');
    });
    expect(error.message).toMatch(
      /^q\.csv: the record starting on line 3 is longer than 1000 characters \(\d+ characters so far, to line \d+\): a quoted field opened there is probably never closed/,
    );
    expect(rows).toEqual([2]);
  });

  it('an unclosed CSV quote in a 17 MiB file stops at the real cap', async () => {
    const error = await refusal(parseDatasetBlob(bigBlob('text\nok\n"opened\n', 'x,y\n', 17), { file: 'big.csv' }));
    expect(error.message).toMatch(/^big\.csv: the record starting on line 3 is longer than 16 MiB .*never closed/);
  });

  it('a JSON array element that is never closed is refused, naming where it starts', async () => {
    const { sink } = recordSink();
    const reader = new JsonArrayReader(sink, 'a.json', 1000);
    reader.push('[{"text": "a"},\n {"text": "');
    const error = thrown(() => reader.push('x'.repeat(2000)));
    expect(error.message).toMatch(
      /^a\.json: the array element starting at line 2 col 2 is longer than 1000 characters \(\d+ characters so far\): a closing/,
    );
    const big = await refusal(parseDatasetBlob(bigBlob('[{"text": "a"},\n{"text": "', 'x', 17), { file: 'big.json' }));
    expect(big.message).toMatch(/^big\.json: the array element starting at line 2 col 1 is longer than 16 MiB/);
  });

  it('a plain-text paragraph and a whole-text example are capped, naming their first line', () => {
    const { got, sink } = recordSink();
    const paragraphs = new ParagraphReader(sink, { file: 'p.txt', maxChars: 100 });
    paragraphs.push('short\n\n');
    const error = thrown(() => paragraphs.push(`${'a'.repeat(30)}\n`.repeat(5)));
    expect(error.message).toBe(
      'p.txt: the paragraph starting at line 3 is longer than 100 characters (123 characters by line 6): separate examples with a blank line',
    );
    expect(got.paragraphs).toEqual([['short', 1]]);

    const whole = new WholeTextReader(sink, { file: 'w.txt', maxChars: 100 });
    whole.push('\n\nstart\n');
    const wholeError = thrown(() => whole.push('\n'.repeat(200))); // blank lines count: they are kept if text follows
    expect(wholeError.message).toMatch(/^w\.txt: the text from line 3 is longer than 100 characters .*read the file by paragraphs/);
  });

  it('a file of 17 MiB of blank space is refused without holding or searching it again and again', async () => {
    const error = await refusal(parseDatasetBlob(bigBlob('', ' \n', 17), { file: 'blank.jsonl' }));
    expect(error.message).toBe('blank.jsonl: the first 16 MiB are blank: not a dataset, or corrupt');
  });
});

describe('JSON nesting depth', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('finds the first bracket past the cap, skipping strings and escaped quotes', () => {
    expect(findDeepNesting(deep(MAX_JSON_DEPTH))).toBe(-1);
    expect(findDeepNesting(deep(MAX_JSON_DEPTH + 1))).toBe(MAX_JSON_DEPTH);
    expect(findDeepNesting(`{"a": "${'['.repeat(100)}"}`)).toBe(-1);
    expect(findDeepNesting(`["\\"${'['.repeat(100)}", 1]`)).toBe(-1); // \" does not end the string
    expect(findDeepNesting(`["\\\\", ${'['.repeat(100)}]`)).toBe(70); // \\ does: the brackets after it count
  });

  it('a JSON Lines row nested 100 000 deep is a bad row with its line and column, closed or not', () => {
    const text = `{"text": "ok"}\n${deep(100_000)}\n${'['.repeat(100_000)}\n{"text": "${'['.repeat(100_000)}"}\n`;
    const result = parseDatasetText(text, { file: 'deep.jsonl' });
    expect(result.examples.map((e) => e.line)).toEqual([1, 4]); // brackets inside a string are text
    const reason = `JSON nested too deeply: more than ${MAX_JSON_DEPTH} levels of arrays/objects (a chat row needs about 4)`;
    expect(result.badRows).toEqual([
      { line: 2, column: 65, reason },
      { line: 3, column: 65, reason },
    ]);
  });

  it('a JSON array element nested 100 000 deep is a bad row with its line and column', () => {
    const result = parseDatasetText(`[{"text": "ok"},\n  {"messages": ${deep(100_000)}}]`, { file: 'deep.json' });
    expect(result.examples).toHaveLength(1);
    expect(result.badRows).toEqual([{ line: 2, column: 79, reason: expect.stringContaining('JSON nested too deeply') }]);
  });

  it('a CSV cell of chat turns nested too deeply is a bad row saying so', () => {
    const csv = `messages\n"[{""role"": ""assistant"", ""content"": ""hi""}]"\n${deep(1000)}\n`;
    const result = parseDatasetText(csv, { file: 'deep.csv' });
    expect(result.examples).toHaveLength(1);
    expect(result.badRows).toEqual([{ line: 3, reason: expect.stringMatching(/^"messages": JSON nested too deeply/) }]);
  });

  it('a row with 50 000 keys is a bad row, and a short quote of a 1 MB key', () => {
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])));
    const longKey = JSON.stringify({ ['k'.repeat(MiB)]: 1 });
    const result = parseDatasetText(`{"text": "ok"}\n${wide}\n`, { file: 'wide.jsonl' });
    expect(result.badRows).toEqual([{ line: 2, reason: 'has 50000 fields; a row may have at most 10000 (a training row has a handful)' }]);
    const keyed = parseDatasetText(`${longKey}\n{"text": "ok"}\n`, { file: 'key.jsonl' });
    expect(keyed.badRows[0].reason.length).toBeLessThan(300);
  });
});

describe('Parquet footers are checked against the file before any page is read', () => {
  type Edit = (metadata: FileMetaData) => void;

  /** Three text rows, the last long and repetitive (its Snappy page is far smaller than its text). */
  function parquetBytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'text', data: ['one', 'two', 'ab'.repeat(1000)], type: 'STRING' }] }));
  }

  /** The file with its footer decoded, edited and written again (the column data is left as it is). */
  function tampered(edit: Edit, bytes = parquetBytes()): Blob {
    return new Blob([withFooter(bytes, edit)]);
  }

  const read = (blob: Blob) => parseDatasetBlob(blob, { file: 't.parquet' });
  const refused = async (edit: Edit) => (await refusal(read(tampered(edit)))).message;
  const column = (m: FileMetaData) => m.row_groups[0].columns[0].meta_data!;

  it('reads the file untouched by a no-op edit (the helper itself is sound)', async () => {
    const result = await read(tampered(() => {}));
    expect(result.examples.map((e) => e.line)).toEqual([1, 2, 3]);
  });

  it('still reads a valid chat column (list<struct>) in two row groups, slices crossing between them', async () => {
    const data = Array.from({ length: 5000 }, (_, i) => [
      { role: 'user', content: `q${i}` },
      { role: 'assistant', content: `a${i}` },
    ]);
    const buffer = parquetWriteBuffer({
      columnData: [{ name: 'messages', data }],
      schema: [
        { name: 'root', num_children: 1 },
        { name: 'messages', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'role', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'content', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      ],
      rowGroupSize: 3000,
    });
    const result = await read(new Blob([buffer]));
    expect([result.examples.length, result.badRowCount]).toEqual([5000, 0]);
    expect(result.examples[4999]).toMatchObject({ line: 5000, messages: [{ content: 'q4999' }, { content: 'a4999' }] });
  });

  it('refuses row counts that are not counts, do not add up, or are absurd for the file size', async () => {
    expect(await refused((m) => (m.num_rows = 2n ** 60n))).toBe(
      "t.parquet: the Parquet footer's num_rows is 1152921504606846976, not a row count",
    );
    expect(await refused((m) => (m.num_rows = -1n))).toContain("the Parquet footer's num_rows is -1, not a row count");
    expect(await refused((m) => (m.row_groups[0].num_rows = 2n ** 62n))).toContain('row group 1: num_rows is 4611686018427387904, not a row count');
    expect(await refused((m) => (m.num_rows = 5n))).toBe("t.parquet: the Parquet footer's num_rows is 5, but its 1 row groups hold 3 rows");
    const both = (n: bigint) => (m: FileMetaData) => {
      m.num_rows = n;
      m.row_groups[0].num_rows = n;
    };
    expect(await refused(both(2n ** 40n))).toContain('num_rows is 1099511627776, over the 4294967296 rows a file may have here');
    expect(await refused(both(2n ** 31n))).toMatch(/num_rows is 2147483648 for a file of \d+ bytes: more than 4096 rows per byte/);
    // A count within every bound but larger than the pages: refused at the first slice, not padded with phantom rows.
    expect(await refused(both(4n))).toBe(
      't.parquet: rows 1–4: the pages of column "text" hold 3 of these 4 rows; the footer counts more rows (num_rows 4) than the file holds',
    );
  });

  it('refuses column chunks that lie outside the file or claim to decode to gigabytes', async () => {
    expect(await refused((m) => (column(m).data_page_offset = 100_000n))).toMatch(
      /^t\.parquet: row group 1, column "text": data_page_offset 100000 is outside the file's column data \(bytes 4–\d+\)$/,
    );
    expect(await refused((m) => (column(m).dictionary_page_offset = 2n))).toContain('dictionary_page_offset 2 is outside');
    expect(await refused((m) => (column(m).total_compressed_size = 1_000_000n))).toMatch(
      /column "text": total_compressed_size 1000000 from byte 4 runs past the file's column data/,
    );
    expect(await refused((m) => (column(m).total_uncompressed_size = 2n ** 40n))).toMatch(
      /column "text": total_uncompressed_size 1099511627776 is over the \d+ bytes a SNAPPY chunk of \d+ bytes can decode to/,
    );
    expect(await refused((m) => (m.row_groups[0].columns[0].file_path = 'other.parquet'))).toContain(
      'its data is in another file ("other.parquet")',
    );
    expect(await refused((m) => m.row_groups[0].columns.pop())).toContain('row group 1 has 0 column chunks; the schema has 1 columns');
  });

  it('refuses a schema with no columns, counts that run past its end, or groups nested without end', async () => {
    expect(await refused((m) => (m.schema[0].num_children = 0))).toBe('t.parquet: the Parquet schema has no columns');
    // hyparquet itself trips over a negative count while decoding the footer: still a DatasetError naming the file.
    expect(await refused((m) => (m.schema[1] = { ...m.schema[1], num_children: -3 }))).toMatch(/^t\.parquet: the Parquet footer cannot be read: /);
    const nested = (m: FileMetaData) => {
      const groups = Array.from({ length: 100 }, (_, i) => ({ name: `g${i}`, num_children: 1 }));
      m.schema = [m.schema[0], ...groups, m.schema[1]];
    };
    expect(await refused(nested)).toBe('t.parquet: the Parquet schema nests "g63" more than 64 groups deep');
    // Schemas the writer cannot even write (its own tree builder fails on them, as hyparquet's reader would):
    const leaf = { name: 'text', type: 'BYTE_ARRAY' as const };
    const schemaProblem = (schema: SchemaElement[]) => thrown(() => checkParquetSchema('s.parquet', schema)).message;
    expect(schemaProblem([{ name: 'root', num_children: 5 }, leaf])).toBe(
      "s.parquet: the Parquet schema ends after 2 elements, but its groups' num_children promise more",
    );
    expect(schemaProblem([{ name: 'root', num_children: 1 }, leaf, leaf])).toBe(
      "s.parquet: the Parquet schema has 3 elements, but its root's and groups' num_children account for 2",
    );
    expect(schemaProblem([{ name: 'root', num_children: 2 }, leaf, leaf])).toBe('s.parquet: the Parquet schema names column "text" twice');
    expect(schemaProblem([])).toBe('s.parquet: the Parquet schema is empty');
    expect(schemaProblem([{ name: 'root', num_children: 1 }, { ...leaf, num_children: -3 }])).toBe('s.parquet: the Parquet schema gives "text" -3 children');
    expect(schemaProblem([{ name: 'root', num_children: 1 }, { name: 'g' }])).toBe('s.parquet: the Parquet schema element "g" has neither a type nor children');
    expect(checkParquetSchema('s.parquet', [{ name: 'root', num_children: 2 }, { name: 'g', num_children: 1 }, leaf, leaf])).toBe(2);
  });

  it('refuses a footer length of 0, past the file start, into the leading marker, or over the cap', async () => {
    const bytes = parquetBytes();
    const withLength = (length: number) => {
      const copy = bytes.slice();
      new DataView(copy.buffer).setUint32(copy.length - 8, length, true);
      return new Blob([copy]);
    };
    expect((await refusal(read(withLength(0)))).message).toBe('t.parquet: the Parquet footer length is 0: the file has no metadata');
    for (const length of [bytes.length, bytes.length - 10, 2 ** 32 - 1]) {
      expect((await refusal(read(withLength(length)))).message).toBe(
        `t.parquet: the Parquet footer length ${length} does not fit in the file: its ${bytes.length} bytes leave ${bytes.length - 12} between the "PAR1" markers`,
      );
    }
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, 9 * MiB, true);
    const huge = new Blob(['PAR1', new Uint8Array(9 * MiB), length, 'PAR1']);
    expect((await refusal(read(huge))).message).toBe(
      `t.parquet: the Parquet footer is ${9 * MiB} bytes, over the 8 MiB it may take here (a dataset's footer is a few KiB to a few MiB)`,
    );
  });

  it('refuses a page header claiming more decoded bytes than Snappy can expand to', async () => {
    const bytes = parquetBytes();
    const start = Number(column(parquetMetadata(bytes)).data_page_offset);
    // The page header starts: field 1 (type), then field 2, uncompressed_page_size, a 2-byte zigzag varint here.
    expect([bytes[start], bytes[start + 2], bytes[start + 3] & 0x80, bytes[start + 4] & 0x80]).toEqual([0x15, 0x15, 0x80, 0]);
    bytes.set([0xfe, 0x7f], start + 3); // 8191
    expect((await refusal(read(new Blob([bytes])))).message).toMatch(
      /^t\.parquet: row group 1, column "text", page 1: uncompressed_page_size 8191 is over the \d+ bytes a SNAPPY page of \d+ bytes can decode to$/,
    );
  });
});
