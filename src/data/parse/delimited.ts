/**
 * CSV and TSV, a chunk at a time. The text is cut into records here (a newline inside double quotes does not end
 * a record), so every record keeps the line it starts on; each record's fields are then read by papaparse, which
 * knows the quoting rules. The first record is the header; every later record becomes an object row keyed by it.
 */
import Papa from 'papaparse';
import { DatasetError } from '../types';
import { MAX_RECORD_CHARS, MAX_ROW_FIELDS, quoted, sizeLabel } from './limits';

export interface DelimitedSink {
  /** The header's column names (line 1, or the first non-blank line). */
  header(columns: string[], line: number): void;
  /** One record as column → cell text. */
  row(row: Record<string, string>, line: number): void;
  /** A record that cannot be read as a row. */
  bad(line: number, reason: string): void;
}

export class DelimitedReader {
  private parts: string[] = [];
  /** Characters of the record held in `parts`. */
  private partsChars = 0;
  private inQuotes = false;
  private line = 1;
  private startLine = 1;
  private columns: string[] | null = null;

  constructor(
    private readonly file: string,
    private readonly delimiter: ',' | '\t',
    private readonly sink: DelimitedSink,
    private readonly maxChars = MAX_RECORD_CHARS,
  ) {}

  push(chunk: string): void {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 0x22) this.inQuotes = !this.inQuotes; // "" inside quotes toggles twice: still inside
      else if (c === 0x0a) {
        this.line++;
        if (!this.inQuotes) {
          this.checkLength(i - from);
          this.parts.push(chunk.slice(from, i));
          this.record(this.parts.join(''));
          this.parts = [];
          this.partsChars = 0;
          this.startLine = this.line;
          from = i + 1;
        }
      }
    }
    if (from < chunk.length) {
      this.checkLength(chunk.length - from);
      this.parts.push(chunk.slice(from));
      this.partsChars += chunk.length - from;
    }
  }

  finish(): void {
    const last = this.parts.join('');
    this.parts = [];
    this.partsChars = 0;
    if (this.inQuotes) {
      this.sink.bad(this.startLine, `a quoted field opened on line ${this.startLine} is never closed (a missing '"')`);
      return;
    }
    if (last) this.record(last);
    if (this.columns === null) throw new DatasetError(this.file, 'the file has only blank lines: no header, no rows');
  }

  /**
   * Refuses the current record before `more` characters are added to it, if that takes it past the cap: most
   * often a quote that is never closed, which would otherwise swallow the rest of the file into one field.
   */
  private checkLength(more: number): void {
    const chars = this.partsChars + more;
    if (chars <= this.maxChars) return;
    const cap = sizeLabel(this.maxChars);
    throw new DatasetError(
      this.file,
      this.inQuotes
        ? `the record starting on line ${this.startLine} is longer than ${cap} (${chars} characters so far, to line ` +
            `${this.line}): a quoted field opened there is probably never closed (a missing '"')`
        : `line ${this.startLine} is longer than ${cap} (${chars} characters so far) with no line break: not a ` +
            `${this.delimiter === ',' ? 'CSV' : 'TSV'} file, or corrupt`,
    );
  }

  private record(text: string): void {
    const line = this.startLine;
    const record = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (!record.trim()) return;
    const parsed = Papa.parse<string[]>(record, { delimiter: this.delimiter, header: false });
    const fields = parsed.data[0] ?? [];
    if (this.columns === null) {
      if (fields.length > MAX_ROW_FIELDS) {
        throw new DatasetError(this.file, `the header (line ${line}) has ${fields.length} columns; at most ${MAX_ROW_FIELDS} can be read`);
      }
      const names = fields.map((f) => f.trim());
      const seen = new Set<string>();
      names.forEach((name, i) => {
        if (!name) throw new DatasetError(this.file, `the header (line ${line}) has an empty name for column ${i + 1}`);
        if (seen.has(name)) throw new DatasetError(this.file, `the header (line ${line}) names column ${quoted(name)} twice`);
        seen.add(name);
      });
      this.columns = names;
      this.sink.header(names, line);
      return;
    }
    if (parsed.errors.length) {
      this.sink.bad(line, `unreadable record: ${parsed.errors[0].message}`);
      return;
    }
    if (fields.length !== this.columns.length) {
      this.sink.bad(line, `has ${fields.length} field${fields.length === 1 ? '' : 's'}; the header has ${this.columns.length}`);
      return;
    }
    const row: Record<string, string> = {};
    this.columns.forEach((name, i) => (row[name] = fields[i]));
    this.sink.row(row, line);
  }
}
