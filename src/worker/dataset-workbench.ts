/**
 * The dataset the studio is looking at, held in the worker: the file handle, its parsed examples and their
 * tokens. Each request redoes only what its settings invalidate: a new shape, mapping or bad-row choice re-reads
 * the file; a new tokenizer or "train on inputs" re-tokenizes; the sequence length and split only re-summarise.
 * A newer request stops an older one between chunks.
 */
import { DatasetError, type FileParseResult, parseDatasetFile } from '../data';
import type { ChatTemplate } from '../model/chat';
import type { Tokenizer } from '../model/tokenizer';
import type {
  DatasetFailure,
  DatasetProgress,
  DatasetSettings,
  DatasetSummary,
  DatasetTokenizerInfo,
} from './dataset-protocol';
import { type FullTokens, summarizeLengths, tokenizeFull } from './dataset-summary';

export interface DataTokenizer {
  tokenizer: Tokenizer;
  template: ChatTemplate;
  info: DatasetTokenizerInfo;
}

/** Thrown inside a request that a newer one replaced; never shown. */
export class Superseded extends Error {
  override name = 'Superseded';
}

export class DatasetRequestError extends Error {
  constructor(readonly failure: DatasetFailure) {
    super(failure.message);
    this.name = 'DatasetRequestError';
  }
}

export class DatasetWorkbench {
  private blob: Blob | null = null;
  private name = '';
  private parsed: { key: string; result: FileParseResult } | null = null;
  private tokens: { key: string; tokenizer: Tokenizer; full: FullTokens } | null = null;
  private columns: string[] = [];
  private ticket = 0;

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
    return this.update(settings, getTokenizer, onProgress);
  }

  async update(
    settings: DatasetSettings,
    getTokenizer: () => Promise<DataTokenizer>,
    onProgress: (progress: DatasetProgress) => void,
  ): Promise<DatasetSummary> {
    const ticket = ++this.ticket;
    const check = () => {
      if (ticket !== this.ticket) throw new Superseded('a newer dataset request replaced this one');
    };
    const blob = this.blob;
    const file = this.name;
    if (!blob) throw this.failure(new DatasetError('dataset', 'no dataset is open'), 'line');
    const rowUnitGuess = file.toLowerCase().endsWith('.parquet') ? 'row' : 'line';

    const parseKey = JSON.stringify([settings.format, settings.mapping, settings.onBadRow]);
    if (this.parsed?.key !== parseKey) {
      this.parsed = null;
      this.tokens = null;
      try {
        const result = await parseDatasetFile(blob, {
          file,
          format: settings.format,
          mapping: settings.mapping,
          onBadRow: settings.onBadRow,
          onColumns: (columns) => (this.columns = columns),
          onProgress: (done, total) => {
            check();
            onProgress({ phase: 'reading', done, total });
          },
        });
        check();
        this.parsed = { key: parseKey, result };
      } catch (error) {
        throw this.failure(error, rowUnitGuess);
      }
    }
    const parsed = this.parsed.result;

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
      try {
        const full = tokenizeFull(parsed.examples, data.tokenizer, data.template, settings.trainOnInputs, file, (done, total) =>
          onProgress({ phase: 'tokenizing', done, total }),
        );
        this.tokens = { key: tokenKey, tokenizer: data.tokenizer, full };
      } catch (error) {
        throw this.failure(error, parsed.rowUnit);
      }
    }
    let lengths;
    try {
      lengths = summarizeLengths(this.tokens.full, settings, data.tokenizer);
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
      examples: parsed.examples.length,
      badRows: parsed.badRows.slice(0, 200),
      badRowCount: parsed.badRowCount,
      dropped: [...this.tokens.full.dropped, ...cutOff].slice(0, 200),
      tokenizer: data.info,
      ...figures,
    };
  }

  private failure(error: unknown, rowUnit: 'line' | 'row'): Error {
    if (error instanceof Superseded || error instanceof DatasetRequestError) return error;
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
