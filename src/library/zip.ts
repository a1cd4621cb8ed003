/**
 * Zip archives of adapter folders (fflate): a PEFT export is one .zip a user can unpack next to a base model, and a
 * dropped .zip is unpacked in memory into the same name → source map a dropped folder gives. A dropped archive is
 * untrusted: its headers are checked against caps before anything is inflated, and each entry's actual bytes are
 * counted as they inflate, so a zip bomb or an archive that lies about its sizes is refused, not allocated.
 */
import { Inflate, zipSync, type Zippable } from 'fflate';
import { ModelFormatError } from '../model/errors';
import { bytesSource, concatBytes, type ByteSource } from '../model/source';
import { readZipDirectory, shownName, type ZipEntry } from './zip-directory';

export interface ZipLimits {
  /** The most uncompressed bytes one entry may declare (and so inflate to). */
  entryBytes: number;
  /** The most uncompressed bytes all entries together may declare (and so inflate to). */
  totalBytes: number;
  /** The most entries (files and folders) the directory may list. */
  entries: number;
  /** Where the byte caps come from, for messages: "for an adapter of SmolLM2-135M". */
  basis: string;
}

const GiB = 2 ** 30;

/**
 * Without a base to size them by: 2 GiB in all, well above a LoRA of any base a tab trains (rank 64 on every linear
 * layer of an 8B model is ~0.7 GB in f32) yet a size a tab can still hold; 1,000 entries, where a PEFT folder has a
 * handful of files.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = { entryBytes: 2 * GiB, totalBytes: 2 * GiB, entries: 1000, basis: 'without a loaded base model' };

const STORED = 0;
const DEFLATE = 8;
const METHOD_NAMES: Record<number, string> = { 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'xz', 98: 'PPMd' };
/** Deflate's best ratio (a 258-byte match in 2 bits): one pushed byte never inflates to more than this. */
const DEFLATE_MAX_RATIO = 1032;
const MIN_PUSH = 1024;
const MAX_PUSH = 64 * 1024;

/** "PK\x03\x04" (a local file header) or "PK\x05\x06" (an empty archive's end record). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** One .zip from named files (each given as parts, as the exporters return them). Stored, not deflated: f32 weights barely compress. */
export function zipFiles(files: Record<string, readonly Uint8Array[]>): Uint8Array {
  const entries: Zippable = {};
  for (const [name, parts] of Object.entries(files)) entries[name] = [concatBytes(parts), { level: 0 }];
  return zipSync(entries);
}

/**
 * The archive's files by path (folders skipped), or a ModelFormatError naming the archive and the entry: names that
 * leave the folder, methods other than stored/deflate, sizes past `limits`, and sizes that differ from the headers.
 */
export function unzipFiles(bytes: Uint8Array, label: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Map<string, ByteSource> {
  const fail = (problem: string): never => {
    throw new ModelFormatError(label, problem);
  };
  // Folder entries end in '/'; macOS archives add __MACOSX/ resource forks that are no part of the adapter. Neither
  // is inflated, so neither counts against the caps.
  const entries = readZipDirectory(bytes, label, limits.entries).filter((e) => !e.name.endsWith('/') && !e.name.startsWith('__MACOSX/'));
  if (entries.length === 0) fail('is an empty .zip archive');
  // Every header check comes before the first inflate, so a refused archive has cost no memory.
  let declaredTotal = 0;
  for (const e of entries) {
    if (e.method !== STORED && e.method !== DEFLATE) {
      const known = METHOD_NAMES[e.method] ? ` (${METHOD_NAMES[e.method]})` : '';
      fail(`entry ${shownName(e.name)} uses compression method ${e.method}${known}; only stored (0) and deflate (8) are supported`);
    }
    if (e.declaredSize > limits.entryBytes) {
      fail(`entry ${shownName(e.name)} declares ${e.declaredSize} uncompressed bytes; an entry is at most ${limits.entryBytes} bytes ${limits.basis}`);
    }
    declaredTotal += e.declaredSize;
    if (declaredTotal > limits.totalBytes) {
      fail(`entries up to ${shownName(e.name)} declare ${declaredTotal} uncompressed bytes; an archive is at most ${limits.totalBytes} bytes ${limits.basis}`);
    }
  }
  const files = new Map<string, ByteSource>();
  for (const e of entries) files.set(e.name, bytesSource(entryData(bytes, e, fail), e.name.slice(e.name.lastIndexOf('/') + 1)));
  return files;
}

/**
 * One entry's bytes. A deflated entry is inflated in pushes whose output is counted as it comes and stopped the moment
 * it passes the declared size; since the declared sizes passed the caps, so do the actual bytes.
 */
function entryData(bytes: Uint8Array, e: ZipEntry, fail: (problem: string) => never): Uint8Array {
  const data = bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
  if (e.method === STORED) {
    if (e.compressedSize !== e.declaredSize) fail(`entry ${shownName(e.name)} stores ${e.compressedSize} bytes but declares ${e.declaredSize} (corrupt archive)`);
    // A view, not a copy: the archive is in memory for this unpacking only, and a copy would double an adapter's size.
    return data;
  }
  const parts: Uint8Array[] = [];
  let actual = 0;
  const inflater = new Inflate((chunk) => {
    actual += chunk.length;
    if (actual > e.declaredSize) fail(`entry ${shownName(e.name)} inflates past the ${e.declaredSize} bytes it declares (corrupt or hostile archive)`);
    parts.push(chunk);
  });
  try {
    for (let at = 0; ; ) {
      // Push at most (bytes still allowed) / 1032 so one push cannot inflate far past the limit: at least 1 KiB
      // (so at most ~1 MiB over), at most 64 KiB (fflate copies its 32 KiB window on every push).
      const step = Math.min(MAX_PUSH, Math.max(MIN_PUSH, Math.floor((e.declaredSize - actual) / DEFLATE_MAX_RATIO)));
      const next = Math.min(data.length, at + step);
      inflater.push(data.subarray(at, next), next === data.length);
      if ((at = next) === data.length) break;
    }
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    fail(`entry ${shownName(e.name)} is not valid deflate data (${error instanceof Error ? error.message : String(error)})`);
  }
  if (actual !== e.declaredSize) fail(`entry ${shownName(e.name)} inflates to ${actual} bytes but declares ${e.declaredSize} (corrupt archive)`);
  try {
    return parts.length === 1 ? parts[0] : concatBytes(parts);
  } catch (error) {
    // A cap sized by a large base can exceed what one buffer may hold here; say so rather than throw a RangeError.
    if (error instanceof RangeError) fail(`entry ${shownName(e.name)} has ${actual} bytes, more than this browser can hold in one buffer`);
    throw error;
  }
}
