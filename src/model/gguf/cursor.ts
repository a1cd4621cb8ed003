/**
 * Sequential little-endian reads over a ByteSource through a window of a few MB, so a header with a 150k-entry
 * vocabulary costs a handful of reads. Callers check `available()` synchronously and await `need()` only when the
 * window runs dry: an await per string would dominate the parse of a large vocabulary.
 */
import { ModelFormatError } from '../errors';
import type { ByteSource } from '../source';
import type { FixedLayout } from './types';

const WINDOW = 4 << 20;
const decoder = new TextDecoder('utf-8');

export class ByteCursor {
  /** Absolute position in the file of the next byte to read. */
  pos: number;
  /** What is being read, for error messages (e.g. "metadata key 'tokenizer.ggml.tokens'"). */
  context = 'header';
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  private bufStart = 0;

  constructor(
    readonly source: ByteSource,
    start = 0,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.source.size - this.pos;
  }

  available(): number {
    return this.bufStart + this.buf.byteLength - this.pos;
  }

  fail(problem: string): never {
    throw new ModelFormatError(this.source.name, `${this.context}: ${problem}`);
  }

  /** Makes `n` bytes from `pos` readable synchronously, or throws naming what ran past the end of the file. */
  async need(n: number): Promise<void> {
    if (this.available() >= n) return;
    if (n > this.remaining) {
      this.fail(`needs ${n} bytes at offset ${this.pos} but the file ends at ${this.source.size} (truncated or corrupt)`);
    }
    const length = Math.min(this.remaining, Math.max(n, WINDOW));
    const bytes = await this.source.read(this.pos, length);
    this.buf = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.bufStart = this.pos;
  }

  private at(n: number): number {
    const i = this.pos - this.bufStart;
    this.pos += n;
    return i;
  }

  /** One fixed-size value (already made available by `need`). */
  fixed(layout: FixedLayout): number | bigint | boolean {
    return layout.get(this.view, this.at(layout.size));
  }

  u32(): number {
    return this.view.getUint32(this.at(4), true);
  }

  /** A u64 that is a size, count or offset: must fit in 2^53 (no real file comes near it). */
  u64(what: string): number {
    const i = this.at(8);
    const lo = this.view.getUint32(i, true);
    const hi = this.view.getUint32(i + 4, true);
    if (hi > 0x1fffff) this.fail(`${what} ${this.view.getBigUint64(i, true)} is not a plausible size`);
    return hi * 2 ** 32 + lo;
  }

  /** A copy of the next `n` bytes (already made available by `need`). */
  bytes(n: number): Uint8Array {
    const i = this.at(n);
    return this.buf.slice(i, i + n);
  }

  /** UTF-8 string of `n` available bytes; short ASCII strings (most vocabulary entries) skip TextDecoder. */
  utf8(n: number): string {
    const i = this.at(n);
    const b = this.buf;
    if (n <= 48) {
      let ascii = true;
      for (let k = i; k < i + n; k++) {
        if (b[k] >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) return String.fromCharCode.apply(null, b.subarray(i, i + n) as unknown as number[]);
    }
    return decoder.decode(b.subarray(i, i + n));
  }

  /** A GGUF string when it is wholly inside the window (the common case in a vocabulary loop), else null. */
  stringIfAvailable(): string | null {
    const i = this.pos - this.bufStart;
    if (this.buf.byteLength - i < 8) return null;
    const lo = this.view.getUint32(i, true);
    const hi = this.view.getUint32(i + 4, true);
    if (hi !== 0 || this.buf.byteLength - i - 8 < lo) return null;
    this.pos += 8;
    return this.utf8(lo);
  }

  /** Reads a GGUF string: u64 length + UTF-8 bytes, refusing lengths past the end of the file before allocating. */
  async string(what: string): Promise<string> {
    if (this.available() < 8) await this.need(8);
    const n = this.u64(`${what} length`);
    if (n > this.remaining) this.fail(`${what} length ${n} runs past the end of the file`);
    if (this.available() < n) await this.need(n);
    return this.utf8(n);
  }
}
