/**
 * Random-access reads over a model file that may be several GB, so nothing ever holds the whole file in one
 * ArrayBuffer: parsers read headers in chunks and tensors one at a time. The Node implementation (FileHandle) is in
 * `source-node.ts` so the browser bundle never imports `node:fs`.
 */
import { ModelFormatError } from './errors';

export interface ByteSource {
  /** File name shown in errors (the last path component where there is one). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes from `offset`; throws a ModelFormatError naming the file when that runs past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases an OS handle where there is one (Node); absent for Blobs and memory. */
  close?(): Promise<void>;
}

/** Throws unless [offset, offset + length) lies inside a file of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  const ok =
    Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size;
  if (!ok) {
    throw new ModelFormatError(name, `read of ${length} bytes at offset ${offset} is past the end of the file (${size} bytes)`);
  }
}

/** A browser File or Blob (a dropped file, an OPFS file, a fetched response body's blob). */
export function blobSource(blob: Blob & { name?: string }, name = blob.name ?? 'blob'): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(name, blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Bytes already in memory (tests, files produced by the writers). Reads return views, not copies. */
export function bytesSource(bytes: Uint8Array, name = 'memory'): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(name, bytes.byteLength, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Reads a whole (small) file as UTF-8 JSON, naming the file when it is not JSON. */
export async function readJson(source: ByteSource): Promise<unknown> {
  const text = new TextDecoder().decode(await source.read(0, source.size));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(source.name, `not valid JSON (${(e as Error).message})`);
  }
}

/** One buffer from several parts (writers return parts so big files can go straight into a Blob). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
