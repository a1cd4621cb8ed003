/**
 * A dataset file's rows one at a time, in file order, for the streamed training pipeline: from the file's start,
 * or from a row a checkpoint recorded. The one reader does the parsing (`DatasetParser` for text, hyparquet for
 * Parquet); this adds where each row starts (its row number, line and byte offset) and backpressure: reading
 * pauses while more than a few chunks of rows wait to be taken, so memory stays bounded whatever the file's size.
 *
 * Resuming: JSON Lines and plain text restart at the row's byte offset; Parquet skips to the row without decoding
 * what comes before; CSV/TSV (a header first, quoted newlines) and JSON arrays are parsed again from the start up
 * to the row, which costs parsing only (no tokenizing).
 */
import { containerOf } from '../parse/container';
import { textChunks } from '../parse/lines';
import { DatasetParser } from '../parse/parse';
import { readParquetRows } from '../parse/parquet';
import { checkColumns, checkColumnTypes, RowCollector } from '../parse/rows';
import { refuseBinary } from '../read';
import { type BadRow, type DatasetContainer, DatasetError, type DatasetReadSettings, type DatasetShape, type Example } from '../types';

/** Where a row starts: its 0-based number among the file's rows (bad ones included), its line and byte offset. */
export interface RowStart {
  row: number;
  /** 1-based line of its first character (Parquet: the row's 1-based number). */
  line: number;
  /** Offset of the first byte of that line (Parquet: 0). */
  byte: number;
}

export type RowEvent =
  | { kind: 'example'; example: Example; start: RowStart }
  | { kind: 'bad'; bad: BadRow; start: RowStart };

/** What the first read found out, so a resumed read parses the rest the same way. */
export interface FileLayout {
  container: DatasetContainer;
  shape: DatasetShape;
}

export interface CursorOptions {
  file: string;
  read: DatasetReadSettings;
  /** Resume here (with the layout the first read found); absent: the file's start. */
  from?: { start: RowStart; layout: FileLayout };
}

/** Containers a read can start in the middle of, at a line's byte offset. */
const SEEKABLE: ReadonlySet<DatasetContainer> = new Set(['jsonl', 'txt']);
/** Rows waiting to be taken before reading pauses. */
const HIGH_WATER = 2048;

class Stopped extends Error {}

export class RowCursor {
  private readonly queue: RowEvent[] = [];
  private head = 0;
  private done = false;
  private failure: unknown = null;
  private closed = false;
  private wakeConsumer: (() => void) | null = null;
  private wakeProducer: (() => void) | null = null;
  private layout: Partial<FileLayout> = {};
  /** Bytes (Parquet: rows) read so far and in all, for progress. */
  private readAmount = 0;
  private total = 0;

  constructor(
    private readonly blob: Blob,
    private readonly options: CursorOptions,
  ) {
    void this.produce();
  }

  /** The next row, or null at the end of the file; throws the reader's DatasetError for a file it refuses. */
  async next(): Promise<RowEvent | null> {
    for (;;) {
      if (this.head < this.queue.length) {
        const event = this.queue[this.head++];
        if (this.head > HIGH_WATER) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        if (this.queue.length - this.head < HIGH_WATER / 2) this.wake('producer');
        return event;
      }
      if (this.failure) throw this.failure;
      if (this.done) return null;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  /** The container and shape, once the first row (or header) has shown them. */
  fileLayout(): FileLayout | null {
    const { container, shape } = this.layout;
    return container && shape ? { container, shape } : null;
  }

  /** Share of the file read so far, in [0, 1]. */
  get fraction(): number {
    return this.total > 0 ? Math.min(1, this.readAmount / this.total) : 0;
  }

  /** Share of the file before a row's start: bytes for text, rows for Parquet (deterministic, unlike `fraction`). */
  fractionAt(start: RowStart): number {
    if (this.layout.container === 'parquet') return this.total > 0 ? start.row / this.total : 0;
    return this.blob.size > 0 ? start.byte / this.blob.size : 0;
  }

  get bytesRead(): number {
    return this.readAmount;
  }

  /** Stops reading (the file is released at the next chunk). */
  close(): void {
    this.closed = true;
    this.wake('producer');
  }

  private wake(side: 'consumer' | 'producer'): void {
    const wake = side === 'consumer' ? this.wakeConsumer : this.wakeProducer;
    if (side === 'consumer') this.wakeConsumer = null;
    else this.wakeProducer = null;
    wake?.();
  }

  /** After each chunk: pause while enough rows wait; stop when closed. */
  private async room(): Promise<void> {
    this.wake('consumer');
    while (!this.closed && this.queue.length - this.head >= HIGH_WATER) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    if (this.closed) throw new Stopped();
  }

  private async produce(): Promise<void> {
    try {
      const { file } = this.options;
      const container = this.options.from?.layout.container ?? containerOf(file);
      if (container === 'parquet') await this.produceParquet();
      else await this.produceText(container);
    } catch (error) {
      if (!(error instanceof Stopped)) this.failure = unreadable(error, this.options.file);
    } finally {
      this.done = true;
      this.wake('consumer');
    }
  }

  private async produceText(named: DatasetContainer | null): Promise<void> {
    const { file, read, from } = this.options;
    const seek = from !== undefined && SEEKABLE.has(from.layout.container) && from.start.row > 0;
    const startByte = seek ? from.start.byte : 0;
    const skipBelow = from && !seek ? from.start.row : 0;
    let row = seek ? from.start.row : 0;
    const lines = new LineStarts(seek ? from.start.line : 1, startByte);
    this.total = this.blob.size;
    this.readAmount = startByte;
    if (!seek) {
      if (this.blob.size === 0) throw new DatasetError(file, 'the file is empty (0 bytes)');
      await refuseBinary(this.blob, file);
    }
    const push = (event: RowEvent) => {
      if (event.start.row >= skipBelow) this.queue.push(event);
      lines.forgetBefore(event.start.line);
    };
    const startOf = (line: number): RowStart => ({ row: row++, line, byte: lines.startOf(line) });
    const parser = new DatasetParser({
      file,
      // A resumed read is told the shape the whole file has, so it cannot detect another from a later row.
      format: from ? from.layout.shape : read.format,
      mapping: read.mapping,
      // Bad rows are the pipeline's to count and to refuse under 'fail', as they come.
      onBadRow: 'skip',
      onExample: (example) => push({ kind: 'example', example, start: startOf(example.line ?? 1) }),
      onRejected: (bad) => push({ kind: 'bad', bad, start: startOf(bad.line) }),
      part: seek ? { firstLine: from.start.line, container: from.layout.container } : undefined,
    });
    const chunks = trackedChunks(this.blob.slice(startByte), startByte, lines, (n) => (this.readAmount = n));
    for await (const text of textChunks(chunks, file)) {
      parser.push(text);
      this.noteLayout(parser, named, from?.layout);
      await this.room();
    }
    const result = parser.finish();
    this.layout = { container: result.container, shape: result.shape };
    if (from) this.layout = { ...from.layout };
  }

  private noteLayout(parser: DatasetParser, named: DatasetContainer | null, given?: FileLayout): void {
    if (this.layout.shape) return;
    if (given) {
      this.layout = { ...given };
      return;
    }
    const seen = parser.seenLayout();
    if (seen.container && seen.shape) this.layout = seen as FileLayout;
    else if (named && !this.layout.container) this.layout.container = named;
  }

  private async produceParquet(): Promise<void> {
    const { file, read, from } = this.options;
    const settings = { ...read, onBadRow: 'skip' as const };
    let row = from?.start.row ?? 0;
    const rows = new RowCollector(
      file,
      { ...settings, format: from ? from.layout.shape : read.format },
      (example) => this.queue.push({ kind: 'example', example, start: { row: row++, line: example.line ?? row, byte: 0 } }),
      (bad) => this.queue.push({ kind: 'bad', bad, start: { row: row++, line: bad.line, byte: 0 } }),
      from !== undefined,
    );
    await readParquetRows(
      this.blob,
      file,
      {
        header: (names, types) => {
          const shape = from ? from.layout.shape : checkColumns(file, names, read.format, read.mapping, 'the schema');
          checkColumnTypes(file, shape, read.mapping, types);
          rows.useShape(shape);
          this.layout = { container: 'parquet', shape };
        },
        row: (value, n) => rows.value(value, n),
        progress: async (done, total) => {
          this.readAmount = done;
          this.total = total;
          await this.room();
        },
      },
      from?.start.row ?? 0,
    );
    rows.finish('the Parquet file has no rows');
  }
}

/** The byte offset where each line starts, for the lines a row may still start on. */
class LineStarts {
  private starts: number[];
  /** Line number of starts[0]. */
  private first: number;

  constructor(firstLine: number, firstByte: number) {
    this.first = firstLine;
    this.starts = [firstByte];
  }

  /** A newline at byte `at`: the next line starts right after it. */
  newline(at: number): void {
    this.starts.push(at + 1);
  }

  startOf(line: number): number {
    const i = line - this.first;
    return i >= 0 && i < this.starts.length ? this.starts[i] : (this.starts.at(-1) ?? 0);
  }

  /** Rows come in line order: lines before the latest row's cannot start another. */
  forgetBefore(line: number): void {
    const drop = line - this.first;
    if (drop > 1024 && drop < this.starts.length) {
      this.starts = this.starts.slice(drop);
      this.first = line;
    }
  }
}

async function* trackedChunks(
  blob: Blob,
  firstByte: number,
  lines: LineStarts,
  onRead: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  const reader = blob.stream().getReader();
  let at = firstByte;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (let nl = value.indexOf(0x0a); nl >= 0; nl = value.indexOf(0x0a, nl + 1)) lines.newline(at + nl);
      at += value.length;
      onRead(at);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A read that fails below the parser (the file changed or went away): said as a problem with the file. */
function unreadable(error: unknown, file: string): unknown {
  if (error instanceof DatasetError || error instanceof RangeError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new DatasetError(file, `could not be read any more (${why}): it was changed, moved or deleted while in use`);
}
