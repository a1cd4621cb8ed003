/**
 * A dataset file → typed examples plus the rows that could not be used, each with its line and reason.
 * Text is pushed in pieces (`DatasetParser`), so any source works: `parseDataset` reads a byte stream or async
 * iterable (the browser's `File.stream()`, a Node read stream), `parseDatasetText` a string.
 *
 * The shape (chat, ShareGPT, Alpaca, prompt/completion, text) is decided once per file, by the first row whose
 * keys name one, unless `format` says it; every row must then have that shape.
 */
import {
  type BadRow,
  type DatasetContainer,
  DatasetError,
  type DatasetShape,
  type Example,
  formatBadRow,
} from '../types';
import { type ChunkSource, textChunks } from './lines';
import {
  JsonArrayReader,
  JsonLinesReader,
  ParagraphReader,
  type RecordReader,
  type RecordSink,
  WholeTextReader,
} from './records';
import { detectShape, rowToExample, SHAPE_LABELS, unknownShapeReason } from './shapes';

export interface ParseOptions {
  /** The file's name: used in messages, and its extension picks the container when `container` is 'auto'. */
  file?: string;
  /** Default 'auto': .jsonl/.ndjson → JSON Lines, .txt/.md → text; otherwise '[' first → JSON array, '{' → lines. */
  container?: DatasetContainer | 'auto';
  /** Default 'auto' (see the file comment). */
  format?: DatasetShape | 'auto';
  /** 'skip' (default): return bad rows beside the examples. 'fail': throw a `DatasetError` listing them. */
  onBadRow?: 'skip' | 'fail';
  /** Plain-text files only: 'paragraph' (default) makes each blank-line-separated paragraph an example, 'file'
   * makes the whole file one. */
  textUnit?: 'paragraph' | 'file';
  /** Streams each example here instead of keeping it: `examples` is then empty, and the counts still cover the
   * whole file (the studio summarises a 1 GB file from a sample, without holding every row). */
  onExample?: (example: Example) => void;
}

export interface ParseResult {
  examples: Example[];
  /** The first `MAX_KEPT_BAD_ROWS` bad rows, in file order. */
  badRows: BadRow[];
  /** Every bad row, including those not kept. */
  badRowCount: number;
  shape: DatasetShape;
  container: DatasetContainer;
  /** Rows read (examples + bad rows); blank lines are not rows. */
  rows: number;
}

/** Bad rows kept for display; a file where most rows are broken would otherwise hold a second copy of itself. */
export const MAX_KEPT_BAD_ROWS = 1000;

export class DatasetParser {
  private readonly file: string;
  private reader: RecordReader | null = null;
  private container: DatasetContainer | null = null;
  private shape: DatasetShape | null;
  private head = '';
  private sawText = false;
  private readonly examples: Example[] = [];
  private exampleCount = 0;
  private readonly badRows: BadRow[] = [];
  private badRowCount = 0;
  private rows = 0;

  constructor(private readonly options: ParseOptions = {}) {
    this.file = options.file ?? 'dataset';
    this.shape = options.format && options.format !== 'auto' ? options.format : null;
  }

  push(chunk: string): void {
    if (chunk) this.sawText = true;
    if (this.reader) return this.reader.push(chunk);
    // Hold leading whitespace until the first real character shows which container this is.
    this.head += chunk;
    const first = this.head.search(/\S/);
    if (first < 0) return;
    this.reader = this.openReader(this.head[first]);
    const head = this.head;
    this.head = '';
    this.reader.push(head);
  }

  finish(): ParseResult {
    if (!this.sawText) throw new DatasetError(this.file, 'the file is empty');
    if (!this.reader) throw new DatasetError(this.file, 'the file has only blank lines: no examples');
    this.reader.finish();
    const container = this.container!;
    if (this.rows === 0) {
      throw new DatasetError(this.file, container === 'json' ? 'the JSON array is empty: no examples' : 'no examples');
    }
    const badRows = this.badRows;
    if (this.exampleCount === 0) {
      throw new DatasetError(
        this.file,
        `no usable examples: all ${this.rows} rows were rejected; first: ${formatBadRow(badRows[0])}`,
        badRows,
      );
    }
    if (this.options.onBadRow === 'fail' && this.badRowCount > 0) {
      const listed = badRows.slice(0, 5).map(formatBadRow).join('; ');
      const more = this.badRowCount > 5 ? `; and ${this.badRowCount - 5} more` : '';
      throw new DatasetError(this.file, `${this.badRowCount} bad rows: ${listed}${more}`, badRows);
    }
    return {
      examples: this.examples,
      badRows,
      badRowCount: this.badRowCount,
      shape: this.shape!,
      container,
      rows: this.rows,
    };
  }

  private openReader(firstChar: string): RecordReader {
    const container = this.pickContainer(firstChar);
    this.container = container;
    const sink: RecordSink = {
      value: (value, line) => this.value(value, line),
      paragraph: (text, line) => {
        this.rows++;
        this.accept({ kind: 'text', text, line });
      },
      bad: (row) => {
        this.rows++;
        this.bad(row);
      },
    };
    if (container === 'txt') {
      if (this.shape && this.shape !== 'text') {
        throw new DatasetError(this.file, `a plain-text file holds text examples only, not ${SHAPE_LABELS[this.shape]} rows`);
      }
      this.shape = 'text';
      return this.options.textUnit === 'file' ? new WholeTextReader(sink) : new ParagraphReader(sink);
    }
    return container === 'json' ? new JsonArrayReader(sink, this.file) : new JsonLinesReader(sink);
  }

  private pickContainer(firstChar: string): DatasetContainer {
    const asked = this.options.container;
    if (asked && asked !== 'auto') return asked;
    const extension = /\.([a-z0-9]+)$/i.exec(this.file)?.[1]?.toLowerCase();
    if (extension === 'jsonl' || extension === 'ndjson') return 'jsonl';
    if (extension === 'txt' || extension === 'text' || extension === 'md') return 'txt';
    // Many ".json" exports (pandas, datasets' to_json) are really JSON Lines, so look rather than trust the name.
    if (firstChar === '[') return 'json';
    if (firstChar === '{' || extension === 'json') return 'jsonl';
    return 'txt';
  }

  private value(value: unknown, line: number): void {
    this.rows++;
    if (this.shape === null) {
      const detected = detectShape(value);
      if (!detected) return this.bad({ line, reason: unknownShapeReason(value) });
      this.shape = detected;
    }
    const example = rowToExample(value, this.shape, line);
    if ('reason' in example) this.bad({ line, reason: example.reason });
    else this.accept(example);
  }

  private accept(example: Example): void {
    this.exampleCount++;
    if (this.options.onExample) this.options.onExample(example);
    else this.examples.push(example);
  }

  private bad(row: BadRow): void {
    this.badRowCount++;
    if (this.badRows.length < MAX_KEPT_BAD_ROWS) this.badRows.push(row);
  }
}

/** Reads a whole source (bytes as UTF-8, or text chunks) a chunk at a time. */
export async function parseDataset(source: ChunkSource, options: ParseOptions = {}): Promise<ParseResult> {
  const parser = new DatasetParser(options);
  for await (const chunk of textChunks(source, options.file ?? 'dataset')) parser.push(chunk);
  return parser.finish();
}

/** The same for text already in memory (tests, pasted text, small files). */
export function parseDatasetText(text: string, options: ParseOptions = {}): ParseResult {
  const parser = new DatasetParser(options);
  parser.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  return parser.finish();
}
