/**
 * The three ways a file holds rows, each read a chunk at a time: JSON Lines (one value per line), one JSON array
 * of values (cut into elements by a scanner, each element parsed on its own, so neither the file nor the array
 * is ever one string or one parsed value), and plain text paragraphs.
 *
 * Plain text rule: an example is a paragraph, a maximal run of lines that are not blank (a blank line is empty or
 * only whitespace). Its text is those lines joined with "\n", kept verbatim (CRLF read as LF). So blank lines
 * separate examples and single newlines stay inside one. With `WholeTextReader` the whole file is one example
 * (CRLF read as LF, blank lines at its start and end dropped), for a book or a long document.
 */
import { type BadRow, DatasetError } from '../types';
import { jsonErrorReason, lineAndColumn, parseJsonValue } from './json-error';
import { LineSplitter } from './lines';
import { MAX_RECORD_CHARS, MAX_TEXT_FILE_CHARS, sizeLabel } from './limits';

export interface RecordSink {
  /** A parsed JSON row starting at `line`. */
  value(value: unknown, line: number): void;
  /** A plain-text paragraph starting at `line`. */
  paragraph(text: string, line: number): void;
  bad(row: BadRow): void;
}

export interface RecordReader {
  push(chunk: string): void;
  finish(): void;
}

/** Where a reader is in which file, and the most characters one record may take (tests pass a small cap). */
export interface ReaderPlace {
  file: string;
  firstLine?: number;
  maxChars?: number;
}

export class JsonLinesReader implements RecordReader {
  private readonly lines: LineSplitter;

  constructor(sink: RecordSink, { file, firstLine = 1, maxChars = MAX_RECORD_CHARS }: ReaderPlace) {
    this.lines = new LineSplitter(
      (text, line) => {
        if (!text.trim()) return;
        const parsed = parseJsonValue(text);
        if (parsed.ok) return sink.value(parsed.value, line);
        const [, column] = lineAndColumn(text, parsed.error.offset);
        sink.bad({ line, column, reason: jsonErrorReason(parsed.error) });
      },
      firstLine,
      { file, maxChars },
    );
  }

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  finish(): void {
    this.lines.finish();
  }
}

export class ParagraphReader implements RecordReader {
  private readonly lines: LineSplitter;
  private paragraph: string[] = [];
  /** Characters of the paragraph joined so far (its lines and the newlines between them). */
  private chars = 0;
  private startLine = 0;

  constructor(
    private readonly sink: RecordSink,
    { file, firstLine = 1, maxChars = MAX_RECORD_CHARS }: ReaderPlace,
  ) {
    this.lines = new LineSplitter(
      (text, line) => {
        if (!text.trim()) return this.flush();
        if (this.paragraph.length === 0) this.startLine = line;
        const chars = this.chars + (this.paragraph.length ? 1 : 0) + text.length;
        if (chars > maxChars) {
          throw new DatasetError(
            file,
            `the paragraph starting at line ${this.startLine} is longer than ${sizeLabel(maxChars)} (${chars} characters ` +
              `by line ${line}): separate examples with a blank line`,
          );
        }
        this.chars = chars;
        this.paragraph.push(text);
      },
      firstLine,
      { file, maxChars },
    );
  }

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  finish(): void {
    this.lines.finish();
    this.flush();
  }

  private flush(): void {
    if (this.paragraph.length) this.sink.paragraph(this.paragraph.join('\n'), this.startLine);
    this.paragraph = [];
    this.chars = 0;
  }
}

export class WholeTextReader implements RecordReader {
  private readonly lines: LineSplitter;
  private kept: string[] = [];
  /** Blank lines seen since the last non-blank one: kept only if more text follows. */
  private blankRun: string[] = [];
  /** Characters of the kept lines and the blank run, joined (blank lines count: they are kept if text follows). */
  private chars = 0;
  private startLine = 0;

  /** `maxChars`: the most the whole example may hold; `maxLineChars`: the most one line may. */
  constructor(
    private readonly sink: RecordSink,
    { file, maxChars = MAX_TEXT_FILE_CHARS, maxLineChars = MAX_RECORD_CHARS }: ReaderPlace & { maxLineChars?: number },
  ) {
    this.lines = new LineSplitter(
      (text, line) => {
        const blank = !text.trim();
        if (blank && this.kept.length === 0) return;
        if (this.kept.length === 0) this.startLine = line;
        const chars = this.chars + (this.kept.length ? 1 : 0) + text.length;
        if (chars > maxChars) {
          throw new DatasetError(
            file,
            `the text from line ${this.startLine} is longer than ${sizeLabel(maxChars)} (${chars} characters by line ${line}): ` +
              `too long for one example; read the file by paragraphs instead`,
          );
        }
        this.chars = chars;
        if (blank) return void this.blankRun.push(text);
        this.kept.push(...this.blankRun, text);
        this.blankRun = [];
      },
      1,
      { file, maxChars: maxLineChars },
    );
  }

  push(chunk: string): void {
    this.lines.push(chunk);
  }

  finish(): void {
    this.lines.finish();
    if (this.kept.length) this.sink.paragraph(this.kept.join('\n'), this.startLine);
  }
}

type ArrayMode = 'open' | 'first' | 'next' | 'element' | 'after' | 'closed';
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const CLOSER: Record<number, number> = { 0x7b: 0x7d, 0x5b: 0x5d }; // { → }, [ → ]

/**
 * Cuts `[ elem, elem, … ]` into element texts by tracking strings and bracket nesting. A problem inside an
 * element (it is balanced but not valid JSON) is a bad row; a problem in the array itself (no '[', a missing
 * comma, no closing ']') loses the thread of the file and is a `DatasetError` with its line and column.
 */
export class JsonArrayReader implements RecordReader {
  private mode: ArrayMode = 'open';
  private line = 1;
  private column = 1;
  private parts: string[] = [];
  private closers: number[] = [];
  private inString = false;
  private escaped = false;
  private primitive = false;
  /** Characters of the element held in `parts`. */
  private elementChars = 0;
  private startLine = 0;
  private startColumn = 0;
  private count = 0;

  constructor(
    private readonly sink: RecordSink,
    private readonly file: string,
    private readonly maxChars = MAX_RECORD_CHARS,
  ) {}

  push(chunk: string): void {
    let from = 0;
    let i = 0;
    while (i < chunk.length) {
      const c = chunk.charCodeAt(i);
      if (this.mode === 'element') {
        const end = this.scanElement(c);
        if (end === 'before') {
          this.endElement(chunk.slice(from, i));
          continue; // the character that ended a bare value (',' ']' space) belongs to the array: look again
        }
        this.advance(c);
        i++;
        if (end === 'after') this.endElement(chunk.slice(from, i));
        continue;
      }
      if (!WHITESPACE.has(c)) {
        if (this.frame(c)) from = i;
      }
      this.advance(c);
      i++;
    }
    if (this.mode === 'element') {
      this.checkElement(chunk.length - from);
      this.parts.push(chunk.slice(from));
      this.elementChars += chunk.length - from;
    }
  }

  finish(): void {
    if (this.mode === 'element' && this.primitive) this.endElement('');
    if (this.mode === 'closed') return;
    if (this.mode === 'element') {
      this.fail(`the array element starting at line ${this.startLine} col ${this.startColumn} is never closed (a missing '}', ']' or '"')`);
    }
    this.fail(`the JSON array is not closed: ']' is missing at the end of the file`);
  }

  /** A non-space character outside an element; returns true when it starts one. */
  private frame(c: number): boolean {
    const ch = String.fromCharCode(c);
    const mode = this.mode;
    if (mode === 'open') {
      if (c !== 0x5b) this.fail(`expected a JSON array of examples starting with '[', found '${ch}'`);
      this.mode = 'first';
    } else if (mode === 'first' || mode === 'next') {
      if (mode === 'first' && c === 0x5d) this.mode = 'closed';
      else if (c === 0x5d || c === 0x2c) {
        this.fail(`expected an array element after '${mode === 'first' ? '[' : ','}', found '${ch}'`);
      }
      else return this.startElement(c);
    } else if (mode === 'after') {
      if (c === 0x2c) this.mode = 'next';
      else if (c === 0x5d) this.mode = 'closed';
      else this.fail(`expected ',' or ']' after array element ${this.count}, found '${ch}'`);
    } else if (mode === 'closed') {
      this.fail(`unexpected '${ch}' after the end of the JSON array`);
    }
    return false;
  }

  private startElement(c: number): boolean {
    this.mode = 'element';
    this.startLine = this.line;
    this.startColumn = this.column;
    this.parts = [];
    this.elementChars = 0;
    this.closers = [];
    this.escaped = false;
    this.inString = c === 0x22;
    this.primitive = !this.inString && CLOSER[c] === undefined;
    if (CLOSER[c] !== undefined) this.closers.push(CLOSER[c]);
    return true;
  }

  /**
   * Feeds a character of an element. 'after': the element ends with it; 'before': it ends just before it;
   * undefined: the element goes on. Its first character went to `startElement`, not here.
   */
  private scanElement(c: number): 'before' | 'after' | undefined {
    if (this.primitive) return c === 0x2c || c === 0x5d || WHITESPACE.has(c) ? 'before' : undefined;
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === 0x5c) this.escaped = true;
      else if (c === 0x22) {
        this.inString = false;
        if (this.closers.length === 0) return 'after';
      }
      return undefined;
    }
    if (c === 0x22) this.inString = true;
    else if (CLOSER[c] !== undefined) this.closers.push(CLOSER[c]);
    else if (c === 0x7d || c === 0x5d) {
      // A mismatched bracket still ends the element, so the row is reported bad and reading goes on.
      const expected = this.closers.pop();
      if (this.closers.length === 0 || expected !== c) return 'after';
    }
    return undefined;
  }

  private endElement(tail: string): void {
    this.checkElement(tail.length);
    const text = this.parts.join('') + tail;
    this.parts = [];
    this.elementChars = 0;
    this.mode = 'after';
    this.count++;
    const parsed = parseJsonValue(text);
    if (parsed.ok) return this.sink.value(parsed.value, this.startLine);
    const [line, column] = lineAndColumn(text, parsed.error.offset, this.startLine, this.startColumn);
    this.sink.bad({ line, column, reason: jsonErrorReason(parsed.error) });
  }

  /** Refuses the element before `more` characters are added, if that takes it past the cap. */
  private checkElement(more: number): void {
    const chars = this.elementChars + more;
    if (chars <= this.maxChars) return;
    throw new DatasetError(
      this.file,
      `the array element starting at line ${this.startLine} col ${this.startColumn} is longer than ` +
        `${sizeLabel(this.maxChars)} (${chars} characters so far): a closing '"', ']' or '}' is probably missing`,
    );
  }

  private advance(c: number): void {
    if (c === 0x0a) {
      this.line++;
      this.column = 1;
    } else if (c < 0xdc00 || c > 0xdfff) {
      this.column++; // a low surrogate is the second half of one character
    }
  }

  private fail(problem: string): never {
    throw new DatasetError(this.file, `invalid JSON at line ${this.line} col ${this.column}: ${problem}`);
  }
}
