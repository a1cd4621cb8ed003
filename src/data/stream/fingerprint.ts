/**
 * What identifies a dataset file for a checkpoint, without reading all of it: its size, and a hash of its first
 * and last 64 KiB. A resume on a file that no longer matches is refused, and a file that changes while a run
 * reads it is caught when its size or edges move.
 */
import { DatasetError } from '../types';

export interface FileFingerprint {
  size: number;
  /** FNV-1a (32-bit) of the first and of the last 64 KiB, hex. */
  head: string;
  tail: string;
}

const EDGE = 64 * 1024;

export async function fingerprintOf(blob: Blob, file: string): Promise<FileFingerprint> {
  try {
    const head = new Uint8Array(await blob.slice(0, EDGE).arrayBuffer());
    const tail = new Uint8Array(await blob.slice(Math.max(0, blob.size - EDGE)).arrayBuffer());
    return { size: blob.size, head: fnv(head), tail: fnv(tail) };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new DatasetError(file, `could not be read (${why}): it was changed, moved or deleted`);
  }
}

export function sameFile(a: FileFingerprint, b: FileFingerprint): boolean {
  return a.size === b.size && a.head === b.head && a.tail === b.tail;
}

export function describeFingerprint(f: FileFingerprint): string {
  return `${f.size.toLocaleString('en-US')} bytes, edges ${f.head}/${f.tail}`;
}

function fnv(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
