/**
 * Bytes → text → lines, a chunk at a time, so a 1 GB file never has to be one string. The browser passes
 * `File.stream()`, Node a file read stream; tests pass strings or hand-cut chunks.
 */
import { streamChunks } from '../../core/stream-chunks';
import { DatasetError } from '../types';
import { MAX_RECORD_CHARS, sizeLabel } from './limits';

/** Anything a dataset can be read from. Byte chunks are UTF-8; string chunks are taken as already decoded. */
export type ChunkSource =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

/**
 * Decodes chunks as UTF-8 text. A character split between two chunks is held back until complete (the decoder's
 * streaming mode); a leading byte-order mark is dropped; bytes that are not UTF-8 are a `DatasetError` naming the
 * offset of the bad chunk, because a binary file fed to the parser would otherwise become garbage rows.
 */
export async function* textChunks(source: ChunkSource, file = 'dataset'): AsyncGenerator<string> {
  if (typeof source === 'string') {
    yield source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
    return;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytesBefore = 0;
  let first = true;
  const decode = (chunk: Uint8Array | string, last: boolean): string => {
    if (typeof chunk === 'string') return chunk;
    try {
      return decoder.decode(chunk, { stream: !last });
    } catch {
      throw new DatasetError(file, `is not UTF-8 text (invalid bytes within bytes ${bytesBefore}–${bytesBefore + chunk.length})`);
    } finally {
      bytesBefore += chunk.length;
    }
  };
  for await (const chunk of iterateChunks(source)) {
    let text = decode(chunk, false);
    if (first && text.length > 0) {
      if (typeof chunk === 'string' && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text) yield text;
  }
  const tail = decode(new Uint8Array(0), true);
  if (tail) yield tail;
}

async function* iterateChunks(source: Exclude<ChunkSource, string>): AsyncGenerator<Uint8Array | string> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    yield* streamChunks(source as ReadableStream<Uint8Array>);
    return;
  }
  yield* source as AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
}

/**
 * Cuts text pushed in arbitrary pieces into lines, numbered from 1. A line ends at LF; a CR right before it is
 * dropped (CRLF files), also when the CR and LF arrive in different chunks. A last line without LF is emitted
 * by `finish()`; the empty "line" after a final LF is not a line. A line longer than `maxChars` is a `DatasetError`
 * naming it, raised before its pieces are joined, so a file with no newline never becomes one huge string.
 */
export class LineSplitter {
  private pending = '';
  private count: number;
  private readonly file: string;
  private readonly maxChars: number;

  /** `firstLine`: the number of the first line pushed (a part of a file starts further on). */
  constructor(
    private readonly onLine: (text: string, line: number) => void,
    firstLine = 1,
    { file = 'dataset', maxChars = MAX_RECORD_CHARS }: { file?: string; maxChars?: number } = {},
  ) {
    this.count = firstLine - 1;
    this.file = file;
    this.maxChars = maxChars;
  }

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.checkLength(nl - start);
      const piece = chunk.slice(start, nl);
      const line = this.pending ? this.pending + piece : piece;
      this.pending = '';
      this.emit(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.checkLength(chunk.length - start);
      this.pending += chunk.slice(start);
    }
  }

  finish(): void {
    if (this.pending) this.emit(this.pending);
    this.pending = '';
  }

  /** Refuses the current line before `more` characters are added to it, if that takes it past the cap. */
  private checkLength(more: number): void {
    const chars = this.pending.length + more;
    if (chars <= this.maxChars) return;
    throw new DatasetError(
      this.file,
      `line ${this.count + 1} is longer than ${sizeLabel(this.maxChars)} (${chars} characters so far) with no line break: ` +
        `not a line-based file, or corrupt`,
    );
  }

  private emit(line: string): void {
    this.count++;
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, this.count);
  }
}
