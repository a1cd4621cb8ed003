/**
 * Dataset text → typed examples plus the rows that could not be used, each with its line and reason. Text is
 * pushed in pieces (`DatasetParser`), so a 1 GB file is never one string; every text container (JSON Lines, a JSON
 * array, CSV, TSV, plain text) goes through here, and `parseDatasetBlob` (read.ts) adds Parquet and byte input.
 *
 * Every row, whatever its container, ends in one `RowCollector` (rows.ts): the column mapping, the shape (chat,
 * ShareGPT, Alpaca, prompt/completion, text: from a header, or the first row whose keys name one, unless `format`
 * says it; every row must then have that shape) and the bad rows.
 */
import {
  type DatasetContainer,
  type DatasetReadSettings,
  DatasetError,
  type DatasetShape,
  DEFAULT_READ_SETTINGS,
  type Example,
  type BadRow,
  type RowUnit,
} from '../types';
import { containerOf, sniffContainer } from './container';
import { DelimitedReader } from './delimited';
import { JsonArrayReader, JsonLinesReader, ParagraphReader, type RecordReader, type RecordSink, WholeTextReader } from './records';
import { MAX_RECORD_CHARS, sizeLabel } from './limits';
import { checkColumns, RowCollector } from './rows';
import { SHAPE_LABELS } from './shapes';

export interface ParseOptions extends Partial<DatasetReadSettings> {
  /** The file's name: used in messages; its extension picks the container (see container.ts). */
  file?: string;
  /** Plain-text files only: 'paragraph' (default) makes each blank-line-separated paragraph an example, 'file'
   * makes the whole file one. */
  textUnit?: 'paragraph' | 'file';
  /** Streams each example here instead of keeping it: `examples` is then empty, and the counts still cover the
   * whole file (the studio summarises a 1 GB file from a sample, without holding every row). */
  onExample?: (example: Example) => void;
  /** Told the column names as soon as they are known, also when the file is then refused (so the user can map). */
  onColumns?: (columns: string[]) => void;
  /** Byte input only (`parseDatasetBlob`): after every chunk read; may throw to stop reading. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Told every bad row as it is found (they are still counted and the first ones kept). */
  onRejected?: (row: BadRow) => void;
  /**
   * The text is a part of a file (a streamed run resuming mid-file): line numbers start at `firstLine`, and the
   * whole-file checks at the end (empty, no usable row, bad rows under 'fail') are left to whoever read the
   * file from its start. `container` is the one the whole file was read as.
   */
  part?: { firstLine: number; container: DatasetContainer };
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
  /** Column names (header, schema, or the first JSON row's keys); empty for plain text. */
  columns: string[];
  rowUnit: RowUnit;
}

/** The read settings of `options`, with the defaults filled in. */
export function readSettingsOf(options: Partial<DatasetReadSettings>): DatasetReadSettings {
  return {
    format: options.format ?? DEFAULT_READ_SETTINGS.format,
    mapping: options.mapping ?? DEFAULT_READ_SETTINGS.mapping,
    onBadRow: options.onBadRow ?? DEFAULT_READ_SETTINGS.onBadRow,
  };
}

export class DatasetParser {
  private readonly file: string;
  private readonly named: DatasetContainer | null;
  private readonly settings: DatasetReadSettings;
  private readonly rows: RowCollector;
  private reader: RecordReader | null = null;
  private container: DatasetContainer | null = null;
  private columns: string[] = [];
  private head = '';
  private sawText = false;

  constructor(private readonly options: ParseOptions = {}) {
    this.file = options.file ?? 'dataset';
    this.named = containerOf(this.file);
    if (this.named === 'parquet') throw new DatasetError(this.file, 'a Parquet file is read from its bytes, not as text');
    this.settings = readSettingsOf(options);
    this.rows = new RowCollector(this.file, this.settings, options.onExample, options.onRejected, options.part !== undefined);
  }

  push(chunk: string): void {
    if (chunk) this.sawText = true;
    if (this.reader) return this.reader.push(chunk);
    // Hold leading whitespace until the first real character shows which container this is (only the new chunk
    // is searched, and a file of nothing but whitespace is refused once it passes the record cap).
    const at = chunk.search(/\S/);
    if (at < 0 && this.head.length + chunk.length > MAX_RECORD_CHARS) {
      throw new DatasetError(this.file, `the first ${sizeLabel(MAX_RECORD_CHARS)} are blank: not a dataset, or corrupt`);
    }
    this.head += chunk;
    if (at < 0) return;
    const first = this.head.length - chunk.length + at;
    this.reader = this.openReader(this.options.part?.container ?? sniffContainer(this.named, this.head[first]));
    const head = this.head;
    this.head = '';
    this.reader.push(head);
  }

  /** The container and the shape as far as read (null until the first character, or the first row, says). */
  seenLayout(): { container: DatasetContainer | null; shape: DatasetShape | null } {
    return { container: this.container, shape: this.rows.currentShape };
  }

  finish(): ParseResult {
    if (!this.reader && this.options.part) this.reader = this.openReader(this.options.part.container);
    if (!this.sawText && !this.options.part) throw new DatasetError(this.file, 'the file is empty');
    if (!this.reader) throw new DatasetError(this.file, 'the file has only blank lines: no examples');
    this.reader.finish();
    const container = this.container!;
    const empty =
      container === 'json'
        ? 'the JSON array is empty: no examples'
        : container === 'csv' || container === 'tsv'
          ? 'the file has a header but no rows'
          : 'no examples';
    const result = this.rows.finish(empty);
    const columns = container === 'json' || container === 'jsonl' ? (this.rows.firstKeys ?? []) : this.columns;
    return { ...result, container, columns, rowUnit: 'line' };
  }

  private get firstLine(): number {
    return this.options.part?.firstLine ?? 1;
  }

  private openReader(container: DatasetContainer): RecordReader {
    if (this.options.part && container !== 'jsonl' && container !== 'txt') {
      throw new DatasetError(this.file, `a ${container} file is read from its start, not from the middle`);
    }
    this.container = container;
    const { file, rows, settings } = this;
    if (container === 'csv' || container === 'tsv') {
      return new DelimitedReader(file, container === 'csv' ? ',' : '\t', {
        header: (names, line) => {
          this.columns = names;
          this.options.onColumns?.(names);
          rows.useShape(checkColumns(file, names, settings.format, settings.mapping, `the header (line ${line})`));
        },
        row: (row, line) => rows.value(row, line),
        bad: (line, reason) => rows.reject({ line, reason }),
      });
    }
    const sink: RecordSink = {
      value: (value, line) => {
        const first = rows.firstKeys === null;
        rows.value(value, line);
        if (first && rows.firstKeys) this.options.onColumns?.(rows.firstKeys);
      },
      paragraph: (text, line) => rows.text({ kind: 'text', text, line }),
      bad: (row) => rows.reject(row),
    };
    if (container === 'txt') {
      if (settings.format !== 'auto' && settings.format !== 'text') {
        throw new DatasetError(file, `a plain-text file holds text examples only, not ${SHAPE_LABELS[settings.format]} rows`);
      }
      rows.useShape('text');
      return this.options.textUnit === 'file'
        ? new WholeTextReader(sink, { file })
        : new ParagraphReader(sink, { file, firstLine: this.firstLine });
    }
    return container === 'json' ? new JsonArrayReader(sink, file) : new JsonLinesReader(sink, { file, firstLine: this.firstLine });
  }
}

/** Text already in memory (tests, pasted text, small files): every container but Parquet. */
export function parseDatasetText(text: string, options: ParseOptions = {}): ParseResult {
  const parser = new DatasetParser(options);
  parser.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  return parser.finish();
}
