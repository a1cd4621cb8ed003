/**
 * Zip archives of adapter folders (fflate): a PEFT export is one .zip a user can unpack next to a base model, and a
 * dropped .zip is unpacked in memory (adapters are megabytes, not gigabytes) into the same name → source map a
 * dropped folder gives.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { ModelFormatError } from '../model/errors';
import { bytesSource, concatBytes, type ByteSource } from '../model/source';

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

/** The archive's files by path (folders skipped), or a ModelFormatError naming the archive. */
export function unzipFiles(bytes: Uint8Array, label: string): Map<string, ByteSource> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new ModelFormatError(label, `is not a readable .zip archive (${error instanceof Error ? error.message : String(error)})`);
  }
  const files = new Map<string, ByteSource>();
  for (const [path, data] of Object.entries(entries)) {
    // Folder entries end in '/'; macOS archives add __MACOSX/ resource forks that are no part of the adapter.
    if (path.endsWith('/') || path.startsWith('__MACOSX/')) continue;
    files.set(path, bytesSource(data, path.slice(path.lastIndexOf('/') + 1)));
  }
  if (files.size === 0) throw new ModelFormatError(label, 'is an empty .zip archive');
  return files;
}
