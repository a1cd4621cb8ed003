/**
 * Rows that are already objects (a CSV/TSV record with its header, a Parquet row, a JSON row) → examples, with a
 * column mapping: the user says which column holds each field the shape needs ("question" → "instruction"). The
 * shape is detected from the first row (after mapping) unless given, exactly as `DatasetParser` does for JSON.
 */
import { type BadRow, DatasetError, type DatasetShape, type Example, formatBadRow } from '../types';
import { MAX_KEPT_BAD_ROWS } from './parse';
import { detectShape, rowToExample, SHAPE_LABELS, unknownShapeReason } from './shapes';

/** The fields each shape reads from a row; `required` ones must be present (optional ones may be mapped to none). */
export const SHAPE_FIELDS: Record<DatasetShape, readonly { field: string; required: boolean }[]> = {
  chat: [{ field: 'messages', required: true }],
  sharegpt: [{ field: 'conversations', required: true }],
  alpaca: [
    { field: 'instruction', required: true },
    { field: 'input', required: false },
    { field: 'output', required: true },
    { field: 'system', required: false },
  ],
  'prompt-completion': [
    { field: 'prompt', required: true },
    { field: 'completion', required: true },
  ],
  text: [{ field: 'text', required: true }],
};

/** field → column it is read from. A field left out reads the column of its own name; '' reads nothing. */
export type ColumnMapping = Readonly<Record<string, string>>;

/** The shape a set of column names suggests, or null: the same key order as JSON detection. */
export function detectShapeFromColumns(columns: readonly string[]): DatasetShape | null {
  return detectShape(Object.fromEntries(columns.map((c) => [c, true])));
}

/**
 * Checks a header (CSV, Parquet schema) against the shape before reading any row, so a file with a missing
 * column is refused once, naming the column, rather than as one bad row per line. Returns the shape to use.
 */
export function checkColumns(
  file: string,
  columns: readonly string[],
  format: DatasetShape | 'auto',
  mapping: ColumnMapping,
  where: string,
): DatasetShape {
  const have = columns.length ? columns.map((c) => `"${c}"`).join(', ') : 'no columns';
  const shape = format === 'auto' ? detectShapeFromColumns(columns) : format;
  if (!shape) {
    throw new DatasetError(
      file,
      `missing columns: ${where} has ${have}; none names a known shape (expected "messages", "conversations", ` +
        `"instruction"/"output", "prompt"/"completion" or "text"); choose a shape and map its columns`,
    );
  }
  const missing = SHAPE_FIELDS[shape]
    .filter(({ required }) => required)
    .map(({ field }) => ({ field, column: mapping[field] ?? field }))
    .filter(({ column }) => !column || !columns.includes(column));
  if (missing.length) {
    const list = missing.map(({ field, column }) => (column && column !== field ? `"${column}" (for ${field})` : `"${field}"`));
    throw new DatasetError(
      file,
      `missing column${missing.length > 1 ? 's' : ''} ${list.join(', ')} needed for ${SHAPE_LABELS[shape]} rows; ${where} has ${have}`,
    );
  }
  return shape;
}

/** A row with the mapped columns copied to the field names the shape reads. */
export function applyMapping(row: Record<string, unknown>, mapping: ColumnMapping): Record<string, unknown> {
  const entries = Object.entries(mapping);
  if (entries.length === 0) return row;
  const out: Record<string, unknown> = { ...row };
  for (const [field, column] of entries) {
    if (column === '') delete out[field];
    else if (column !== field) out[field] = row[column];
  }
  return out;
}

/** Chat and ShareGPT turns stored as JSON text in a CSV cell are read as the array they spell. */
function parseJsonCells(row: Record<string, unknown>): Record<string, unknown> {
  for (const key of ['messages', 'conversations']) {
    const cell = row[key];
    if (typeof cell === 'string' && cell.trimStart().startsWith('[')) {
      try {
        row = { ...row, [key]: JSON.parse(cell) };
      } catch {
        // Left as a string: the shape check then says it must be an array.
      }
    }
  }
  return row;
}

export interface RowCollection {
  examples: Example[];
  badRows: BadRow[];
  badRowCount: number;
  rows: number;
  shape: DatasetShape;
}

/** Collects rows one at a time; `finish` refuses a file with no usable row, or bad rows under 'fail'. */
export class RowCollector {
  private shape: DatasetShape | null;
  readonly examples: Example[] = [];
  private readonly badRows: BadRow[] = [];
  private badRowCount = 0;
  /** Examples accepted (kept, or streamed to `onExample`). */
  private exampleCount = 0;
  private rows = 0;
  /** Keys of the first object row, for the column mapping of a JSON file. */
  firstKeys: string[] | null = null;

  constructor(
    private readonly file: string,
    format: DatasetShape | 'auto',
    private readonly mapping: ColumnMapping,
    private readonly onBadRow: 'skip' | 'fail',
    /** When given, each example goes here instead of into `examples` (see `FileParseOptions.onExample`). */
    private readonly onExample?: (example: Example) => void,
  ) {
    this.shape = format === 'auto' ? null : format;
  }

  value(raw: unknown, line: number): void {
    this.rows++;
    const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
    if (isObject && this.firstKeys === null) this.firstKeys = Object.keys(raw);
    const row = isObject ? parseJsonCells(applyMapping(raw as Record<string, unknown>, this.mapping)) : raw;
    if (this.shape === null) {
      const detected = detectShape(row);
      if (!detected) return this.bad({ line, reason: unknownShapeReason(row) });
      this.shape = detected;
    }
    const example = rowToExample(row, this.shape, line);
    if ('reason' in example) return this.bad({ line, reason: example.reason });
    this.exampleCount++;
    if (this.onExample) this.onExample(example);
    else this.examples.push(example);
  }

  bad(row: BadRow): void {
    this.badRowCount++;
    if (this.badRows.length < MAX_KEPT_BAD_ROWS) this.badRows.push(row);
  }

  countRow(): void {
    this.rows++;
  }

  finish(emptyProblem: string): RowCollection {
    if (this.rows === 0) throw new DatasetError(this.file, emptyProblem);
    if (this.exampleCount === 0) {
      throw new DatasetError(
        this.file,
        `no usable examples: all ${this.rows} rows were rejected; first: ${formatBadRow(this.badRows[0])}`,
        this.badRows,
      );
    }
    if (this.onBadRow === 'fail' && this.badRowCount > 0) {
      const listed = this.badRows.slice(0, 5).map(formatBadRow).join('; ');
      const more = this.badRowCount > 5 ? `; and ${this.badRowCount - 5} more` : '';
      throw new DatasetError(this.file, `${this.badRowCount} bad row${this.badRowCount > 1 ? 's' : ''}: ${listed}${more}`, this.badRows);
    }
    return {
      examples: this.examples,
      badRows: this.badRows,
      badRowCount: this.badRowCount,
      rows: this.rows,
      shape: this.shape!,
    };
  }
}
