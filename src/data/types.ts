/**
 * The typed values a dataset file becomes, and the one error type for files that cannot be used at all.
 * Row-level problems are not errors: they are `BadRow`s, collected with their line, so the caller decides
 * whether to skip them or stop.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatTurn {
  role: ChatRole;
  content: string;
}

/** A conversation: trained on the assistant turns (by default). Alpaca and prompt/completion rows become these. */
export interface ChatExample {
  kind: 'chat';
  messages: ChatTurn[];
  /** 1-based line in the file where the row starts, for messages about it later (e.g. "too long"). */
  line?: number;
}

/** Plain text: every token trained (continued pre-training style). */
export interface TextExample {
  kind: 'text';
  text: string;
  line?: number;
}

export type Example = ChatExample | TextExample;

/** How rows are laid out in a file. */
export type DatasetShape = 'chat' | 'sharegpt' | 'alpaca' | 'prompt-completion' | 'text';
export const DATASET_SHAPES: readonly DatasetShape[] = ['chat', 'sharegpt', 'alpaca', 'prompt-completion', 'text'];

/** A `--format` value (or the studio's format menu): a shape or 'auto', else an error listing the choices. */
export function parseDatasetFormat(value: string): DatasetShape | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (DATASET_SHAPES as readonly string[]).includes(v)) return v as DatasetShape | 'auto';
  throw new RangeError(`unknown dataset format "${value}"; expected auto, ${DATASET_SHAPES.join(', ')}`);
}

/** How a file holds its rows: JSON Lines, one JSON array, CSV or TSV with a header, Parquet, or plain text. */
export type DatasetContainer = 'jsonl' | 'json' | 'csv' | 'tsv' | 'parquet' | 'txt';

/** What bad-row numbers count: file lines (text containers) or rows (Parquet has no lines). */
export type RowUnit = 'line' | 'row';

/**
 * How a file is read into examples: the Datasets view's shape, column mapping and bad-row choice, and the CLI's
 * dataset flags. `mapping` is field the shape needs → column that holds it; a field left out reads the column of
 * its own name, '' reads none (for optional fields).
 */
export interface DatasetReadSettings {
  format: DatasetShape | 'auto';
  mapping: Readonly<Record<string, string>>;
  /** 'skip': use the good rows and list the bad ones; 'fail': refuse the file when any row is bad. */
  onBadRow: 'skip' | 'fail';
}

export const DEFAULT_READ_SETTINGS: DatasetReadSettings = { format: 'auto', mapping: {}, onBadRow: 'skip' };

export interface BadRow {
  /** 1-based line where the row starts (for a JSON syntax error: the line of the error). */
  line: number;
  /** 1-based column (in characters) of a JSON syntax error. */
  column?: number;
  reason: string;
}

export function formatBadRow(row: BadRow): string {
  const at = row.column === undefined ? `line ${row.line}` : `line ${row.line} col ${row.column}`;
  return `${at}: ${row.reason}`;
}

/** A file (or a setting) that cannot give a dataset at all. The message starts with the file's name. */
export class DatasetError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    /** The rows that were rejected, when that is the reason (all rows bad, or `onBadRow: 'fail'`). */
    readonly badRows: readonly BadRow[] = [],
  ) {
    super(`${file}: ${problem}`);
    this.name = 'DatasetError';
  }
}
