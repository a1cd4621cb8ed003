/**
 * Reads a streamed file one window at a time: `windowRows` consecutive rows from a RowCursor, split by their
 * content hash and tokenized one at a time, in slices of a few milliseconds with a yield to the event loop between
 * them. It keeps the pipeline's counters (rows, tokens, bad rows, busy time) across windows; what is done with a
 * window (shuffle, batches, resume) is StreamedDataset's.
 */
import { contentKey, isHeldOut, type SplitOptions } from '../split';
import { LISTED, tokenizeExample, type TokenizedExample, type TokenizeOptions, tooLongError } from '../tokenize';
import { type BadRow, DatasetError, type DatasetReadSettings, formatBadRow } from '../types';
import { splitFirstWindow, type UsableRow } from './first-window';
import { type FileLayout, RowCursor, type RowEvent, type RowStart } from './row-cursor';

/** Work between two yields to the event loop, so the GPU's callbacks and messages get in. */
const SLICE_MS = 8;

/** The part of a stream's settings that reading a window depends on (StreamSettings has all of it). */
export interface WindowReaderSettings {
  file: string;
  read: DatasetReadSettings;
  tokenize: Omit<TokenizeOptions, 'file' | 'onProgress'>;
  split: SplitOptions;
  /** Clock in milliseconds (injectable for tests). */
  now?: () => number;
}

export interface Window {
  epoch: number;
  index: number;
  start: RowStart;
  train: TokenizedExample[];
  /** Where the next window starts; null: this one ends the pass. */
  next: RowStart | null;
  /** Share of the file before `next` (1 at the end). */
  fractionAtEnd: number;
}

/** Figures of the first window: all of them for a file that fits. */
export interface FirstWindowFigures {
  rows: number;
  badRowCount: number;
  badRows: BadRow[];
  dropped: BadRow[];
  truncatedCount: number;
  train: number;
  fits: boolean;
}

/** A first window also brings the validation set it decided and its figures. */
export interface WindowRead {
  window: Window;
  first?: { validation: TokenizedExample[]; figures: FirstWindowFigures };
}

/** The pipeline's counters: rows read and bad rows in this pass, the others since the run (or its resume) began. */
export interface PipelineStats {
  rowsRead: number;
  rowsTokenized: number;
  tokens: number;
  /** Working time, without the time spent waiting for the file. */
  busyMs: number;
  badRowCount: number;
  droppedCount: number;
  truncatedCount: number;
}

export class WindowReader {
  readonly stats: PipelineStats = { rowsRead: 0, rowsTokenized: 0, tokens: 0, busyMs: 0, badRowCount: 0, droppedCount: 0, truncatedCount: 0 };
  /** Where rows start in the file, known once a window has been read (or from a saved position): a cursor opened mid-file needs it. */
  layout: FileLayout | null = null;
  private listedBadRows: BadRow[] = [];
  private cursor: RowCursor | null = null;
  /** An event read past the end of the window being filled: the next window's first row. */
  private pending: RowEvent | null = null;
  private sliceStarted = 0;

  /** `onSlice` runs after each slice of work, before the yield: the stream reports progress there when due. */
  constructor(
    private readonly blob: Blob,
    private readonly settings: WindowReaderSettings,
    private readonly windowRows: number,
    private readonly onSlice: () => void,
  ) {}

  /** Share of the file the open cursor has read (1 when none is open: the pass has ended). */
  get fraction(): number {
    return this.cursor?.fraction ?? 1;
  }

  /** Bad rows met since the last report, each listed once (first pass only). */
  get newBadRows(): BadRow[] {
    return this.listedBadRows;
  }

  /** The listed bad rows have been reported: start a new list (the reported one is left as it is). */
  clearNewBadRows(): void {
    this.listedBadRows = [];
  }

  /** A new pass over the file: the cursor closed and the per-pass counters reset. */
  restartPass(): void {
    this.close();
    this.stats.rowsRead = 0;
    this.stats.badRowCount = 0;
  }

  /**
   * Reads the rows of one window from the cursor (opened at `start` when there is none), tokenizing the rows it
   * trains on (and in the first window also the held-out ones). Null when the file has no row at `start`.
   */
  async read(epoch: number, index: number, start: RowStart): Promise<WindowRead | null> {
    const { file, split, read } = this.settings;
    const now = this.settings.now ?? (() => performance.now());
    if (!this.cursor) {
      this.cursor = new RowCursor(this.blob, { file, read, from: start.row > 0 && this.layout ? { start, layout: this.layout } : undefined });
      this.pending = null;
    }
    const cursor = this.cursor;
    const end = start.row + this.windowRows;
    const firstWindow = index === 0;
    const usable: UsableRow[] = [];
    const tooLong: { line: number | undefined; length: number }[] = [];
    let tooLongCount = 0;
    let examples = 0;
    let next: RowStart | null = null;
    let first: RowStart | null = null;
    const dropped: BadRow[] = [];
    const firstBad: BadRow[] = [];
    let truncated = 0;
    this.sliceStarted = now();
    let busyFrom = now();
    for (;;) {
      const event = this.pending ?? (await this.timed(() => cursor.next(), busyFrom, (t) => (busyFrom = t)));
      this.pending = null;
      if (!event) break;
      if (event.start.row < start.row) continue;
      if (event.start.row >= end) {
        this.pending = event;
        next = event.start;
        break;
      }
      first ??= event.start;
      this.stats.rowsRead++;
      if (event.kind === 'bad') {
        this.badRow(event.bad, epoch);
        if (firstWindow && firstBad.length < 1000) firstBad.push(event.bad);
        continue;
      }
      examples++;
      const held = isHeldOut(contentKey(event.example), split);
      if (held && !firstWindow) continue;
      const result = tokenizeExample(event.example, { ...this.settings.tokenize, file });
      this.stats.rowsTokenized++;
      if (result.kind === 'ok') {
        this.stats.tokens += result.example.ids.length;
        if (result.example.truncatedFrom !== undefined) (truncated++, this.stats.truncatedCount++);
        usable.push({ example: result.example, held });
      } else if (result.kind === 'dropped') {
        if (result.truncated) (truncated++, this.stats.truncatedCount++);
        this.stats.droppedCount++;
        if (firstWindow) dropped.push(result.row);
      } else {
        tooLongCount++;
        if (tooLong.length < LISTED) tooLong.push({ line: result.line, length: result.length });
      }
      if (now() - this.sliceStarted > SLICE_MS) {
        this.stats.busyMs += now() - busyFrom;
        this.onSlice();
        await yieldToEventLoop();
        this.sliceStarted = busyFrom = now();
      }
    }
    this.stats.busyMs += now() - busyFrom;
    this.layout ??= cursor.fileLayout();
    if (tooLongCount > 0) throw tooLongError(file, this.settings.tokenize.seqLen, tooLongCount, tooLong);
    if (first === null && !firstWindow) return null;
    const fits = firstWindow && next === null && start.row === 0;
    // Later windows skipped their held-out rows above: all they tokenized trains.
    const decided = firstWindow ? splitFirstWindow(usable, { file, split, fits, examples, dropped }) : null;
    const window: Window = {
      epoch,
      index,
      start: first ?? start,
      train: decided ? decided.train : usable.map((u) => u.example),
      next,
      // A JSON array on one line starts every row at byte 0: then the share read so far stands in.
      fractionAtEnd: next === null ? 1 : cursor.fractionAt(next) || cursor.fraction,
    };
    const result: WindowRead = { window };
    if (decided) {
      const figures: FirstWindowFigures = {
        rows: this.stats.rowsRead,
        badRowCount: this.stats.badRowCount,
        badRows: firstBad,
        dropped,
        truncatedCount: truncated,
        train: window.train.length,
        fits,
      };
      result.first = { validation: decided.validation, figures };
    }
    if (next === null) this.close();
    return result;
  }

  close(): void {
    this.cursor?.close();
    this.cursor = null;
    this.pending = null;
  }

  /** Counted in every pass; listed in the first only (a later pass meets the same rows again). */
  private badRow(bad: BadRow, epoch: number): void {
    const { file, read } = this.settings;
    if (read.onBadRow === 'fail') {
      throw new DatasetError(file, `bad row: ${formatBadRow(bad)} (bad rows are set to refuse the file)`, [bad]);
    }
    this.stats.badRowCount++;
    if (epoch === 0 && this.listedBadRows.length < 1000) this.listedBadRows.push(bad);
  }

  private async timed<T>(read: () => Promise<T>, busyFrom: number, setBusyFrom: (t: number) => void): Promise<T> {
    // Waiting for the file is not the pipeline's work: only the time between reads counts as busy.
    const now = this.settings.now ?? (() => performance.now());
    this.stats.busyMs += now() - busyFrom;
    const value = await read();
    setBusyFrom(now());
    return value;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
