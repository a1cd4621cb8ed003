/**
 * The dataset the studio is looking at, held in the worker: the file handle, its counts and bad rows, and a
 * bounded sample of its examples with their tokens (all of them when the file is small; see src/data/summary),
 * so a 1 GB file costs the same memory as a small one. Each request redoes only what its settings invalidate: a
 * new shape, mapping or bad-row choice re-reads the file; a new tokenizer or "train on inputs" re-tokenizes; the
 * sequence length and split only re-summarise. A newer request stops an older one between chunks, and `cancel`
 * stops the one in flight and forgets the file.
 */
import {
  datasetLengths,
  DatasetError,
  type Example,
  fileSummary,
  type RowUnit,
  type SampledDataset,
  sampleDataset,
  type SampledTokens,
  SAMPLE_SIZE,
  tokenizeFullInSlices,
} from '../data';
import type { ChatTemplate } from '../model/chat';
import type { Tokenizer } from '../model/tokenizer';
import type { DatasetFailure, DatasetProgress, DatasetSettings, DatasetSummary, DatasetTokenizerInfo } from './dataset-protocol';

/** Progress reaches the studio at most this often (the last of a phase always does). */
export const PROGRESS_INTERVAL_MS = 100;

export interface DataTokenizer {
  tokenizer: Tokenizer;
  template: ChatTemplate;
  info: DatasetTokenizerInfo;
}

/** Thrown inside a request that a newer one replaced; never shown. */
export class Superseded extends Error {
  override name = 'Superseded';
}

/** Thrown inside the request the user cancelled; answered as a 'cancelled' failure. */
export class Cancelled extends Error {
  override name = 'Cancelled';
}

export class DatasetRequestError extends Error {
  constructor(readonly failure: DatasetFailure) {
    super(failure.message);
    this.name = 'DatasetRequestError';
  }
}

/** One read of the file, under the read settings that made it. */
interface ReadFile extends SampledDataset {
  key: string;
}

/** Calls `emit` at most once per interval, and always for the last value of a phase (done === total). */
function throttled(emit: (progress: DatasetProgress) => void, intervalMs: number): (progress: DatasetProgress) => void {
  let last = -Infinity;
  return (progress) => {
    const now = performance.now();
    if (progress.done < progress.total && now - last < intervalMs) return;
    last = now;
    emit(progress);
  };
}

/** Lets messages (a cancel, a newer request) in between two slices of work. */
const yieldToEvents = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export class DatasetWorkbench {
  private blob: Blob | null = null;
  private name = '';
  private parsed: ReadFile | null = null;
  private tokens: (SampledTokens & { key: string; tokenizer: Tokenizer }) | null = null;
  private columns: string[] = [];
  private ticket = 0;
  /** The ticket the user cancelled, and the file it was reading (named when settings come for it later). */
  private cancelledTicket = -1;
  private cancelledFile: string | null = null;

  constructor(private readonly sampleSize = SAMPLE_SIZE) {}

  /** Forgets the previous file and reads this one. */
  open(
    blob: Blob,
    name: string,
    settings: DatasetSettings,
    getTokenizer: () => Promise<DataTokenizer>,
    onProgress: (progress: DatasetProgress) => void,
  ): Promise<DatasetSummary> {
    this.blob = blob;
    this.name = name;
    this.parsed = null;
    this.tokens = null;
    this.columns = [];
    this.cancelledFile = null;
    return this.update(settings, getTokenizer, onProgress);
  }

  /** Stops the request in flight (it answers a 'cancelled' failure) and forgets the file. */
  cancel(): void {
    this.cancelledTicket = this.ticket;
    if (this.blob) this.cancelledFile = this.name;
    this.blob = null;
    this.parsed = null;
    this.tokens = null;
  }

  async update(
    settings: DatasetSettings,
    getTokenizer: () => Promise<DataTokenizer>,
    onProgress: (progress: DatasetProgress) => void,
  ): Promise<DatasetSummary> {
    const ticket = ++this.ticket;
    const check = () => {
      if (ticket === this.cancelledTicket) throw new Cancelled(`reading ${this.cancelledFile ?? 'the dataset'} was cancelled`);
      if (ticket !== this.ticket) throw new Superseded('a newer dataset request replaced this one');
    };
    const progress = throttled(onProgress, PROGRESS_INTERVAL_MS);
    const blob = this.blob;
    const file = this.name;
    if (!blob) {
      if (this.cancelledFile) {
        const message = `Reading ${this.cancelledFile} was cancelled, so no dataset is open. Open the file again to read it.`;
        throw new DatasetRequestError({ file: this.cancelledFile, message, badRows: [], columns: [], rowUnit: 'line', kind: 'cancelled' });
      }
      throw this.failure(new DatasetError('dataset', 'no dataset is open'), 'line');
    }
    const rowUnitGuess = file.toLowerCase().endsWith('.parquet') ? 'row' : 'line';

    const parseKey = JSON.stringify([settings.format, settings.mapping, settings.onBadRow]);
    if (this.parsed?.key !== parseKey) {
      this.parsed = null;
      this.tokens = null;
      try {
        this.parsed = await this.read(blob, file, parseKey, settings, (done, total) => {
          check();
          progress({ phase: 'reading', done, total });
        });
        check();
      } catch (error) {
        throw this.failure(error, rowUnitGuess);
      }
    }
    const read = this.parsed;
    const parsed = read.result;

    let data: DataTokenizer;
    try {
      data = await getTokenizer();
    } catch (error) {
      const message = `Tokens need a model's tokenizer, and none could be had: ${error instanceof Error ? error.message : String(error)}`;
      throw new DatasetRequestError({ file, message, badRows: [], columns: parsed.columns, rowUnit: parsed.rowUnit, kind: 'tokenizer' });
    }
    check();
    const tokenKey = `${parseKey}|${settings.trainOnInputs}`;
    if (this.tokens?.key !== tokenKey || this.tokens.tokenizer !== data.tokenizer) {
      this.tokens = null;
      try {
        const tokenize = (examples: Example[], report: boolean) =>
          tokenizeFullInSlices(
            examples,
            data.tokenizer,
            data.template,
            settings.trainOnInputs,
            file,
            (done, total) => report && progress({ phase: 'tokenizing', done, total }),
            async () => {
              await yieldToEvents();
              check();
            },
          );
        const sample = await tokenize(read.sample, true);
        const head = read.sampling ? await tokenize(read.head, false) : null;
        this.tokens = { key: tokenKey, tokenizer: data.tokenizer, sample, head };
      } catch (error) {
        throw this.failure(error, parsed.rowUnit);
      }
    }
    const tokens = this.tokens;
    let lengths;
    try {
      lengths = datasetLengths(read, tokens, settings, data.tokenizer, file);
    } catch (error) {
      throw this.failure(error, parsed.rowUnit);
    }
    return { ...fileSummary(read, tokens, lengths, file, blob.size), tokenizer: data.info };
  }

  private async read(
    blob: Blob,
    file: string,
    key: string,
    settings: DatasetSettings,
    onProgress: (done: number, total: number) => void,
  ): Promise<ReadFile> {
    const { format, mapping, onBadRow } = settings;
    const options = { file, format, mapping, onBadRow, onColumns: (columns: string[]) => (this.columns = columns), onProgress };
    return { key, ...(await sampleDataset(blob, options, this.sampleSize)) };
  }

  private failure(error: unknown, rowUnit: RowUnit): Error {
    if (error instanceof Superseded || error instanceof DatasetRequestError) return error;
    if (error instanceof Cancelled) {
      const file = this.cancelledFile ?? this.name;
      const message = `Reading ${file} was cancelled, so no dataset is open. Open the file again to read it.`;
      return new DatasetRequestError({ file, message, badRows: [], columns: [], rowUnit, kind: 'cancelled' });
    }
    const columns = this.columns;
    if (error instanceof DatasetError) {
      return new DatasetRequestError({
        file: error.file,
        message: error.message,
        badRows: error.badRows.slice(0, 200),
        columns,
        rowUnit,
        kind: 'dataset',
      });
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new DatasetRequestError({ file: this.name, message, badRows: [], columns, rowUnit, kind: 'internal' });
  }
}
