/**
 * A training run's data, streamed from its file to batches in bounded memory: rows are read in order, a window at
 * a time (WindowReader over a RowCursor), split by their content hash (split.ts) and tokenized one at a time, and
 * batched a window at a time: a window is `windowRows` consecutive rows of the file, shuffled with the run's seeded
 * RNG (the bounded shuffle buffer of streaming loaders) and cut into batches by `planBatches`. The next window is
 * read and tokenized while the trainer works through the current one, so at most two windows are ever in memory.
 *
 * A file of at most `windowRows` rows is one window, kept across epochs: the full shuffle of the whole set, epoch
 * after epoch from one RNG stream, exactly as `TrainBatchIterator` does it for examples in memory.
 *
 * Validation: the held-out rows of the first window (for a file that fits, all of them), tokenized once.
 * Epoch length: known once a pass has ended; until then estimated from the batches made so far and the share of
 * the file they came from, and said to be an estimate.
 *
 * Resume: the position names the window (where its first row starts, the RNG state before its shuffle) and the
 * batches taken from it; a resumed run re-reads only that window (and the first, for validation) and goes on.
 */
import type { TokenBatch } from '../batch-types';
import { assembleBatch, type BatchShape, checkBatchShape, planBatches } from '../batches';
import { DataPositionError } from '../batch-iterator';
import { DataRng, isRngState, type RngState } from '../rng';
import { checkValidationFraction } from '../split';
import { checkSeqLen, type TokenizedExample } from '../tokenize';
import { type BadRow, DatasetError } from '../types';
import { describeFingerprint, type FileFingerprint, fingerprintOf, sameFile } from './fingerprint';
import type { FileLayout, RowStart } from './row-cursor';
import { type FirstWindowFigures, type Window, WindowReader, type WindowReaderSettings } from './window-reader';

/** Rows per shuffle window unless a run says otherwise. */
export const DEFAULT_WINDOW_ROWS = 4096;
/** Progress while a window is read, at most this often. */
const REPORT_MS = 250;

/** How a window is read (file, reading, tokenizing, split, clock: WindowReaderSettings), and how it is batched. */
export interface StreamSettings extends WindowReaderSettings {
  batch: BatchShape;
  seed: number;
  /** Shuffle each window (default true). */
  shuffle?: boolean;
  windowRows?: number;
  onProgress?: (progress: DataProgress) => void;
}

/** How far the data pipeline has come, for the Train view and the CLI. */
export interface DataProgress {
  epoch: number;
  /** Rows read in this pass over the file, and the share of the file they are. */
  rowsRead: number;
  fraction: number;
  /** Rows tokenized since the run (or its resume) began, and their tokens. */
  rowsTokenized: number;
  tokens: number;
  /** Tokens per second of the pipeline's own working time. */
  tokensPerSecond: number;
  /** Bad rows met in this pass; `newBadRows`: those since the last report (each listed once). */
  badRowCount: number;
  newBadRows: BadRow[];
  droppedCount: number;
  truncatedCount: number;
  /** Batches in an epoch, and whether that is still an estimate. */
  epochBatches: number;
  epochEstimated: boolean;
}

/** Where the stream stands: stored in a checkpoint as JSON. */
export interface StreamPosition {
  kind: 'stream';
  epoch: number;
  /** 0-based window of the epoch, where its first row starts, and the RNG state before its shuffle. */
  window: number;
  start: RowStart;
  rngState: RngState;
  /** Batches of that window already taken. */
  taken: number;
  /** Batches of the epoch's earlier windows. */
  batchesBefore: number;
  /** Batches of the first full pass, once it has ended. */
  firstEpochBatches: number | null;
  layout: FileLayout;
  file: FileFingerprint;
  /** The read, split and window settings the batches depend on. */
  settings: string;
}

interface Active {
  window: Window;
  rngState: RngState;
  batches: number[][];
  taken: number;
  batchesBefore: number;
}

const FIRST_ROW: RowStart = { row: 0, line: 1, byte: 0 };

export class StreamedDataset {
  /** Held-out examples of the first window, in file order. */
  validation: TokenizedExample[] = [];
  /** Figures of the first window: all of them for a file that fits. */
  firstWindow: FirstWindowFigures = { rows: 0, badRowCount: 0, badRows: [], dropped: [], truncatedCount: 0, train: 0, fits: false };

  private readonly windowRows: number;
  private readonly rng: DataRng;
  private readonly reader: WindowReader;
  private active: Active | null = null;
  private upcoming: Promise<Window | null> | null = null;
  /** The whole file, when it fits in one window. */
  private whole: Window | null = null;
  private firstEpochBatches: number | null = null;
  private estimate = 0;
  private lastReport = -Infinity;

  private constructor(
    blob: Blob,
    private readonly settings: StreamSettings,
    private readonly fingerprint: FileFingerprint,
  ) {
    this.windowRows = settings.windowRows ?? DEFAULT_WINDOW_ROWS;
    this.rng = DataRng.fromSeed(settings.seed);
    this.reader = new WindowReader(blob, settings, this.windowRows, () => this.reportWhenDue());
  }

  /**
   * Opens the file and reads its first window (the validation rows, and a fitting file whole), so a refused file
   * is refused before the GPU is touched. With `position`, the stream continues from there.
   */
  static async open(blob: Blob, settings: StreamSettings, position?: unknown): Promise<StreamedDataset> {
    const { file } = settings;
    checkSeqLen(file, settings.tokenize.seqLen);
    checkBatchShape(settings.batch);
    try {
      checkValidationFraction(settings.split.validationFraction);
    } catch (e) {
      throw new DatasetError(file, (e as Error).message);
    }
    if (!(Number.isInteger(settings.windowRows ?? 1) && (settings.windowRows ?? 1) >= 1)) {
      throw new RangeError(`the shuffle window must be a positive number of rows, got ${settings.windowRows}`);
    }
    const stream = new StreamedDataset(blob, settings, await fingerprintOf(blob, file));
    const first = await stream.readWindow(0, 0, FIRST_ROW, true);
    if (position === undefined) {
      stream.begin(first!, stream.rng.state(), 0, 0);
    } else {
      await stream.restore(position);
    }
    return stream;
  }

  /** The training examples of a file that fits in one window (in file order), else null: they stream. */
  get wholeTrainSet(): readonly TokenizedExample[] | null {
    return this.whole?.train ?? null;
  }

  /** Batches in an epoch: exact once a pass has ended (or the file fits), else an estimate. */
  get batchesPerEpoch(): number {
    return this.firstEpochBatches ?? this.estimate;
  }

  get epochEstimated(): boolean {
    return this.firstEpochBatches === null;
  }

  async next(): Promise<TokenBatch> {
    let active = this.active!;
    while (active.taken >= active.batches.length) {
      await this.advance();
      active = this.active!;
    }
    const indices = active.batches[active.taken++];
    return assembleBatch(active.window.train, indices, this.settings.batch.virtualTokens);
  }

  position(): StreamPosition {
    const a = this.active!;
    return {
      kind: 'stream',
      epoch: a.window.epoch,
      window: a.window.index,
      start: { ...a.window.start },
      rngState: [...a.rngState],
      taken: a.taken,
      batchesBefore: a.batchesBefore,
      firstEpochBatches: this.firstEpochBatches,
      layout: { ...this.reader.layout! },
      file: { ...this.fingerprint },
      settings: this.settingsKey(),
    };
  }

  async restore(saved: unknown): Promise<void> {
    const p = this.checkPosition(saved);
    this.firstEpochBatches = p.firstEpochBatches;
    let window: Window | null;
    if (this.whole) window = { ...this.whole, epoch: p.epoch };
    else {
      // The next window may still be read in the background, on the cursor and its pending row: let that read
      // settle before the cursor is replaced, or its last row becomes the restored window's end.
      await this.upcoming?.catch(() => undefined);
      this.upcoming = null;
      this.reader.close();
      window = await this.readWindow(p.epoch, p.window, p.start, false);
    }
    if (!window) throw new DataPositionError(`the saved data position (row ${p.start.row + 1}) is past the end of the file`);
    this.rng.setState(p.rngState);
    this.begin(window, p.rngState, p.batchesBefore, p.taken);
  }

  /** Reports progress now (the loop calls this before its first step, the pipeline after each window). */
  report(): void {
    this.lastReport = (this.settings.now ?? (() => performance.now()))();
    const s = this.reader.stats;
    this.settings.onProgress?.({
      epoch: this.active?.window.epoch ?? 0,
      rowsRead: s.rowsRead,
      fraction: this.reader.fraction,
      rowsTokenized: s.rowsTokenized,
      tokens: s.tokens,
      tokensPerSecond: s.busyMs > 0 ? (s.tokens * 1000) / s.busyMs : 0,
      badRowCount: s.badRowCount,
      newBadRows: this.reader.newBadRows,
      droppedCount: s.droppedCount,
      truncatedCount: s.truncatedCount,
      epochBatches: this.batchesPerEpoch,
      epochEstimated: this.epochEstimated,
    });
    this.reader.clearNewBadRows();
  }

  close(): void {
    this.reader.close();
  }

  /** Makes `window` current: its shuffle drawn from the RNG (whose state is `rngState`), `taken` batches skipped. */
  private begin(window: Window, rngState: RngState, batchesBefore: number, taken: number): void {
    const order = [...window.train.keys()];
    if (this.settings.shuffle !== false) this.rng.shuffle(order);
    const batches = planBatches(window.train, order, this.settings.batch);
    if (taken > batches.length) {
      throw new DataPositionError(
        `the saved data position is batch ${taken} of a window that has only ${batches.length} batches with these ` +
          'settings (micro-batch size, sequence length or packing changed?)',
      );
    }
    this.active = { window, rngState, batches, taken, batchesBefore };
    const known = batchesBefore + batches.length;
    if (window.next === null && window.epoch === 0 && this.firstEpochBatches === null) this.firstEpochBatches = known;
    if (this.firstEpochBatches === null) {
      this.estimate = Math.max(known + 1, Math.round(known / Math.max(1e-6, window.fractionAtEnd)));
    }
    // Read the next window while this one trains.
    this.upcoming = window.next && !this.whole ? this.readWindow(window.epoch, window.index + 1, window.next, false) : null;
    this.upcoming?.catch(() => undefined); // a failure is thrown where the window is awaited
    this.report();
  }

  /** The current window is used up: the next window of the pass, or the first of the next pass. */
  private async advance(): Promise<void> {
    const a = this.active!;
    const rngState = this.rng.state();
    const before = a.batchesBefore + a.batches.length;
    let next = this.upcoming ? await this.upcoming : null;
    if (next) return this.begin(next, rngState, before, 0);
    const epoch = a.window.epoch + 1;
    if (before === 0) throw new DatasetError(this.settings.file, 'a whole pass over the file gave no training batch');
    if (this.whole) return this.begin({ ...this.whole, epoch }, rngState, 0, 0);
    this.reader.restartPass();
    next = await this.readWindow(epoch, 0, FIRST_ROW, false);
    this.begin(next!, rngState, 0, 0);
  }

  /**
   * Reads one window (WindowReader). A first window decides the validation set again in every pass; only the one
   * read at opening also gives the first window's figures and, for a file that fits, the whole training set.
   */
  private async readWindow(epoch: number, index: number, start: RowStart, collectValidation: boolean): Promise<Window | null> {
    const read = await this.reader.read(epoch, index, start);
    if (!read) return null;
    if (read.first) {
      this.validation = read.first.validation;
      if (collectValidation) {
        this.firstWindow = read.first.figures;
        if (read.first.figures.fits) this.whole = read.window;
      }
    }
    return read.window;
  }

  /** Between two slices of reading: progress, at most every REPORT_MS. */
  private reportWhenDue(): void {
    const now = this.settings.now ?? (() => performance.now());
    if (now() - this.lastReport > REPORT_MS) this.report();
  }

  private settingsKey(): string {
    const { read, split, batch, shuffle } = this.settings;
    return JSON.stringify({ read, split, windowRows: this.windowRows, shuffle: shuffle !== false, packing: batch.packing });
  }

  private checkPosition(saved: unknown): StreamPosition {
    const p = saved as StreamPosition;
    const ok =
      p !== null &&
      typeof p === 'object' &&
      p.kind === 'stream' &&
      Number.isInteger(p.epoch) &&
      Number.isInteger(p.window) &&
      Number.isInteger(p.taken) &&
      p.taken >= 0 &&
      isRngState(p.rngState) &&
      typeof p.start?.row === 'number' &&
      typeof p.file?.size === 'number';
    if (!ok) {
      throw new DataPositionError(
        `the saved data position is not one this version reads (${JSON.stringify(saved)?.slice(0, 120)}); start a new run`,
      );
    }
    if (!sameFile(p.file, this.fingerprint)) {
      throw new DataPositionError(
        `${this.settings.file} is not the file the checkpoint was made on (then: ${describeFingerprint(p.file)}; now: ` +
          `${describeFingerprint(this.fingerprint)}): the dataset changed since the checkpoint`,
      );
    }
    if (p.settings !== this.settingsKey()) {
      throw new DataPositionError(
        'the dataset settings (shape, column mapping, bad rows, validation split, shuffle window or packing) changed since the checkpoint',
      );
    }
    this.reader.layout = p.layout;
    return p;
  }
}
