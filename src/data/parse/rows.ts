/**
 * Rows that are already objects (a CSV/TSV record with its header, a Parquet row, a JSON row) → examples, with a
 * column mapping: the user says which column holds each field the shape needs ("question" → "instruction"). The
 * shape is settled by a header, else detected from the first row (after mapping), unless given. Every container's
 * rows end here (see `DatasetParser` and read.ts).
 */
import { type BadRow, type DatasetReadSettings, DatasetError, type DatasetShape, type Example, formatBadRow, type TextExample } from '../types';
import { jsonErrorReason, parseJsonValue } from './json-error';
import { MAX_ROW_FIELDS } from './limits';
import { detectShape, rowToExample, SHAPE_LABELS, unknownShapeReason } from './shapes';

/** Bad rows kept for display; a file where most rows are broken would otherwise hold a second copy of itself. */
export const MAX_KEPT_BAD_ROWS = 1000;

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

/**
 * The shape a set of column names suggests, or null: the same key order as JSON detection. A mapped field counts
 * as present (one mapped to '' as absent), so `--column prompt=question --column completion=answer` needs no
 * `--format`.
 */
export function detectShapeFromColumns(columns: readonly string[], mapping: ColumnMapping = {}): DatasetShape | null {
  const present = new Set(columns);
  for (const [field, column] of Object.entries(mapping)) {
    // A field mapped to a column the file lacks still counts, so the check below names that column.
    if (column) present.add(field);
    else present.delete(field);
  }
  return detectShape(Object.fromEntries([...present].map((c) => [c, true])));
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
  const shape = format === 'auto' ? detectShapeFromColumns(columns, mapping) : format;
  if (!shape) {
    throw new DatasetError(
      file,
      `missing columns: ${where} has ${have}; none names a known shape (expected "messages", "conversations", ` +
        `"instruction"/"output", "prompt"/"completion" or "text"); choose a shape and map its columns`,
    );
  }
  const unmapped = SHAPE_FIELDS[shape].filter(({ field, required }) => required && mapping[field] === '');
  if (unmapped.length) {
    const fields = unmapped.map(({ field }) => `"${field}"`).join(', ');
    throw new DatasetError(
      file,
      `${fields} ${unmapped.length > 1 ? 'are' : 'is'} mapped to no column, but ${SHAPE_LABELS[shape]} rows need ` +
        `${unmapped.length > 1 ? 'them' : 'it'}; map ${unmapped.length > 1 ? 'each' : 'it'} to one of ${have}`,
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

/** Fields read as JSON structures (a list of turns); every other field of a shape is text. */
const STRUCTURED_FIELDS = new Set(['messages', 'conversations']);

/**
 * Checks that each text field's column holds text, for containers with typed columns (Parquet): a column of
 * numbers mapped to "output" is refused once, naming it, rather than as one bad row per row. `types` gives each
 * column's type, null for text.
 */
export function checkColumnTypes(
  file: string,
  shape: DatasetShape,
  mapping: ColumnMapping,
  types: ReadonlyMap<string, string | null>,
): void {
  for (const { field } of SHAPE_FIELDS[shape]) {
    if (STRUCTURED_FIELDS.has(field)) continue;
    const column = mapping[field] ?? field;
    const type = column ? types.get(column) : undefined;
    if (type) {
      const what = column === field ? `column "${column}"` : `column "${column}" (for ${field})`;
      throw new DatasetError(file, `wrong column type: ${what} is ${type} in the schema; ${SHAPE_LABELS[shape]} rows need text (a string column)`);
    }
  }
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

/**
 * Chat and ShareGPT turns stored as JSON text in a CSV cell are read as the array they spell; a cell nested too
 * deeply to parse safely makes the row bad, saying so.
 */
function parseJsonCells(row: Record<string, unknown>): { row: Record<string, unknown> } | { reason: string } {
  for (const key of ['messages', 'conversations']) {
    const cell = row[key];
    if (typeof cell === 'string' && cell.trimStart().startsWith('[')) {
      const parsed = parseJsonValue(cell);
      if (parsed.ok) row = { ...row, [key]: parsed.value };
      else if (parsed.error.tooDeep) return { reason: `"${key}": ${jsonErrorReason(parsed.error)}` };
      // Otherwise left as a string: the shape check then says it must be an array.
    }
  }
  return { row };
}

export interface RowCollection {
  examples: Example[];
  badRows: BadRow[];
  badRowCount: number;
  rows: number;
  shape: DatasetShape;
}

/**
 * Collects rows one at a time, whatever the container: object rows (`value`, mapped and shaped), plain-text
 * examples (`text`) and rows that could not be read at all (`reject`). `finish` refuses a file with no usable
 * row, or with bad rows under 'fail'.
 */
export class RowCollector {
  private shape: DatasetShape | null;
  private readonly mapping: ColumnMapping;
  private readonly onBadRow: 'skip' | 'fail';
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
    settings: DatasetReadSettings,
    /** When given, each example goes here instead of into `examples` (see `ParseOptions.onExample`). */
    private readonly onExample?: (example: Example) => void,
    /** Told each bad row as it is found (`ParseOptions.onRejected`). */
    private readonly onRejected?: (row: BadRow) => void,
    /** A part of a file (`ParseOptions.part`): no whole-file checks in `finish`. */
    private readonly part = false,
  ) {
    this.shape = settings.format === 'auto' ? null : settings.format;
    this.mapping = settings.mapping;
    this.onBadRow = settings.onBadRow;
  }

  /** The shape settled so far (null until a header or the first good row says). */
  get currentShape(): DatasetShape | null {
    return this.shape;
  }

  /** The shape a header (CSV, Parquet schema, plain text) settled before any row. */
  useShape(shape: DatasetShape): void {
    this.shape = shape;
  }

  value(raw: unknown, line: number): void {
    this.rows++;
    const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
    if (isObject) {
      const keys = Object.keys(raw);
      if (keys.length > MAX_ROW_FIELDS) {
        return this.bad({ line, reason: `has ${keys.length} fields; a row may have at most ${MAX_ROW_FIELDS} (a training row has a handful)` });
      }
      if (this.firstKeys === null) this.firstKeys = keys;
    }
    const cells = isObject ? parseJsonCells(applyMapping(raw as Record<string, unknown>, this.mapping)) : { row: raw };
    if ('reason' in cells) return this.bad({ line, reason: cells.reason });
    const { row } = cells;
    if (this.shape === null) {
      const detected = detectShape(row);
      if (!detected) return this.bad({ line, reason: unknownShapeReason(row) });
      this.shape = detected;
    }
    const example = rowToExample(row, this.shape, line);
    if ('reason' in example) return this.bad({ line, reason: example.reason });
    this.accept(example);
  }

  /** A plain-text example (a paragraph, or a whole file). */
  text(example: TextExample): void {
    this.rows++;
    this.accept(example);
  }

  /** A row that could not be read (invalid JSON, a ragged CSV record). */
  reject(row: BadRow): void {
    this.rows++;
    this.bad(row);
  }

  finish(emptyProblem: string): RowCollection {
    if (this.part) return this.collection();
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
    return this.collection();
  }

  private collection(): RowCollection {
    return {
      examples: this.examples,
      badRows: this.badRows,
      badRowCount: this.badRowCount,
      rows: this.rows,
      // A part of a file may hold no row at all: it then reads as the shape it was told.
      shape: this.shape ?? 'text',
    };
  }

  private accept(example: Example): void {
    this.exampleCount++;
    if (this.onExample) this.onExample(example);
    else this.examples.push(example);
  }

  private bad(row: BadRow): void {
    this.onRejected?.(row);
    this.badRowCount++;
    if (this.badRows.length < MAX_KEPT_BAD_ROWS) this.badRows.push(row);
  }
}
