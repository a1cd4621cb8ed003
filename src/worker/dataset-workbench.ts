/**
 * The dataset the studio is looking at, held in the worker: the file handle, its counts and bad rows, and a
 * bounded sample of its examples with their tokens (all of them when the file is small; see dataset-summary.ts),
 * so a 1 GB file costs the same memory as a small one. Each request redoes only what its settings invalidate: a
 * new shape, mapping or bad-row choice re-reads the file; a new tokenizer or "train on inputs" re-tokenizes; the
 * sequence length and split only re-summarise. A newer request stops an older one between chunks, and `cancel`
 * stops the one in flight and forgets the file.
 */
import { DatasetError, type Example, type FileParseResult, parseDatasetFile } from '../data';
import type { ChatTemplate } from '../model/chat';
import type { Tokenizer } from '../model/tokenizer';
import type {
  DatasetFailure,
  DatasetProgress,
  DatasetSampling,
  DatasetSettings,
  DatasetSummary,
  DatasetTokenizerInfo,
} from './dataset-protocol';
import {
  estimateLengths,
  ExampleSampler,
  type FullTokens,
  SAMPLE_SIZE,
  summarizeLengths,
  tokenizeFullInSlices,
} from './dataset-summary';

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

/** What one read of the file gave: exact counts and bad rows, and the examples kept for the token figures. */
interface ReadFile {
  key: string;
  result: FileParseResult;
  /** Every example when the file has at most SAMPLE_SIZE; else a seeded sample of them, in file order. */
  sample: Example[];
  /** The file's first examples, for the preview when `sample` is a sample. */
  head: Example[];
  examples: number;
  sampling: DatasetSampling | null;
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
  private tokens: { key: string; tokenizer: Tokenizer; sample: FullTokens; head: FullTokens | null } | null = null;
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
      lengths =
        read.sampling && tokens.head
          ? estimateLengths(tokens.sample, tokens.head, read.sampling, settings, data.tokenizer)
          : summarizeLengths(tokens.sample, settings, data.tokenizer);
    } catch (error) {
      // A split the examples cannot give (a bad fraction, one example with validation asked for).
      throw this.failure(error instanceof RangeError ? new DatasetError(file, error.message) : error, parsed.rowUnit);
    }
    const { cutOff, ...figures } = lengths;
    return {
      file,
      bytes: blob.size,
      container: parsed.container,
      shape: parsed.shape,
      columns: parsed.columns,
      rowUnit: parsed.rowUnit,
      rows: parsed.rows,
      examples: read.examples,
      badRows: parsed.badRows.slice(0, 200),
      badRowCount: parsed.badRowCount,
      dropped: [...tokens.sample.dropped, ...cutOff].slice(0, 200),
      tokenizer: data.info,
      ...figures,
    };
  }

  /** Streams the file once: counts and bad rows over all of it, examples only into the bounded sampler. */
  private async read(
    blob: Blob,
    file: string,
    key: string,
    settings: DatasetSettings,
    onProgress: (done: number, total: number) => void,
  ): Promise<ReadFile> {
    const sampler = new ExampleSampler(this.sampleSize);
    const result = await parseDatasetFile(blob, {
      file,
      format: settings.format,
      mapping: settings.mapping,
      onBadRow: settings.onBadRow,
      onColumns: (columns) => (this.columns = columns),
      onExample: (example) => sampler.add(example),
      onProgress,
    });
    const sampling = sampler.sampled ? { examples: sampler.size, of: sampler.seen } : null;
    return { key, result, sample: sampler.examples(), head: sampler.head, examples: sampler.seen, sampling };
  }

  private failure(error: unknown, rowUnit: 'line' | 'row'): Error {
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
