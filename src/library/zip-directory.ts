/**
 * A .zip's central directory read without inflating anything (PKWARE APPNOTE.txt 4.3): each entry's checked name,
 * compression method, sizes and where its data starts, so `unzipFiles` can refuse a hostile archive on its headers
 * before a byte of it is expanded. fflate's `unzipSync` hides the data offsets and allocates each entry at its
 * declared size, and its streaming `Unzip` reads only local headers, which an archive can make disagree with the
 * directory; hence this small reader. Every problem is a ModelFormatError naming the archive and the entry.
 */
import { ModelFormatError } from '../model/errors';

export interface ZipEntry {
  /** The entry's path, '\' read as '/'; checked to be relative, free of '..' segments and NUL bytes, and unique. */
  name: string;
  /** APPNOTE 4.4.5: 0 stored, 8 deflate, ... (the caller decides which it reads). */
  method: number;
  /** Bytes of (possibly compressed) data at `dataStart`, checked to lie inside the archive. */
  compressedSize: number;
  /** The uncompressed size the headers claim: for the caps and the corruption check, never for allocation. */
  declaredSize: number;
  dataStart: number;
}

const END = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const FLAG_ENCRYPTED = 1;
const FLAG_DATA_DESCRIPTOR = 8;
const FLAG_UTF8 = 0x800;

const utf8 = new TextDecoder();
const latin1 = new TextDecoder('latin1');

/** The name quoted for a message, control characters (NUL included) escaped so the message stays one line. */
export function shownName(name: string): string {
  return `'${name.replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

/** Every entry of the archive, in directory order; refuses more than `maxEntries` before reading any of them. */
export function readZipDirectory(bytes: Uint8Array, label: string, maxEntries: number): ZipEntry[] {
  const fail = (problem: string): never => {
    throw new ModelFormatError(label, problem);
  };
  // Bounds are checked before every read: DataView would throw a RangeError that names nothing.
  const need = (at: number, length: number, what: string) => {
    if (at + length > bytes.length) fail(`is truncated or corrupt: ${what} at byte ${at} runs past the archive's end (${bytes.length} bytes)`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);

  // The end record is the last 22 bytes plus a comment of at most 65535 bytes.
  let end = bytes.length - 22;
  const earliest = Math.max(0, end - 0xffff);
  while (end >= earliest && u32(end) !== END) end--;
  if (end < earliest) fail('is not a readable .zip archive: it has no end-of-central-directory record (truncated?)');
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0) fail('spans several disks, which is not supported');
  const count = u16(end + 10);
  const directoryStart = u32(end + 16);
  // ZIP64 is only needed past 65535 entries or 4 GiB, far beyond any adapter; refusing it keeps this reader small.
  if (count === 0xffff || directoryStart === 0xffffffff || (end >= 20 && u32(end - 20) === ZIP64_LOCATOR)) {
    fail('is a ZIP64 archive (over 4 GiB or 65535 entries), which is not supported for adapters');
  }
  if (count > maxEntries) fail(`has ${count} entries; an adapter archive may have at most ${maxEntries}`);

  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  for (let i = 0, at = directoryStart; i < count; i++) {
    need(at, 46, `central directory entry ${i}`);
    if (u32(at) !== CENTRAL) fail(`central directory entry ${i} at byte ${at} has no signature (corrupt archive)`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const compressedSize = u32(at + 20);
    const declaredSize = u32(at + 24);
    const nameLength = u16(at + 28);
    const localStart = u32(at + 42);
    need(at + 46, nameLength, `central directory entry ${i}'s name`);
    const raw = (flags & FLAG_UTF8 ? utf8 : latin1).decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const name = checkedName(raw, fail);
    const shown = shownName(raw);
    if (seen.has(name)) fail(`has two entries named ${shown}`);
    seen.add(name);
    if (flags & FLAG_ENCRYPTED) fail(`entry ${shown} is encrypted, which is not supported`);

    need(localStart, 30, `entry ${shown}'s local header`);
    if (u32(localStart) !== LOCAL) fail(`entry ${shown} has no local header at byte ${localStart} (corrupt archive)`);
    if (u16(localStart + 8) !== method) {
      fail(`entry ${shown} names compression method ${u16(localStart + 8)} in its local header but ${method} in the central directory (corrupt archive)`);
    }
    // Without a data descriptor the local header repeats the sizes; two readers must not see two sizes.
    if (!(flags & FLAG_DATA_DESCRIPTOR) && (u32(localStart + 18) !== compressedSize || u32(localStart + 22) !== declaredSize)) {
      fail(
        `entry ${shown} declares ${u32(localStart + 22)} uncompressed bytes in its local header but ${declaredSize} in the ` +
          'central directory (corrupt archive)',
      );
    }
    const dataStart = localStart + 30 + u16(localStart + 26) + u16(localStart + 28);
    need(dataStart, compressedSize, `entry ${shown}'s ${compressedSize} bytes of data`);
    entries.push({ name, method, compressedSize, declaredSize, dataStart });
    at += 46 + nameLength + u16(at + 30) + u16(at + 32);
  }
  return entries;
}

/** The path with '\' as '/', or a refusal of names that could point outside the folder they are unpacked into. */
function checkedName(raw: string, fail: (problem: string) => never): string {
  const shown = shownName(raw);
  if (raw.length === 0) fail('has an entry with an empty name');
  if (raw.includes('\0')) fail(`entry ${shown} has a NUL byte in its name`);
  // Windows tools write '\' as the separator; reading both keeps 'a\..\b' from hiding a '..'.
  const path = raw.replace(/\\/g, '/');
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) fail(`entry ${shown} has an absolute path`);
  if (path.split('/').includes('..')) fail(`entry ${shown} has a '..' segment, which points outside the archive's folder`);
  return path;
}
