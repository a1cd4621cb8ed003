/**
 * The run headers of one RLE/bit-packed hybrid section (Parquet's levels, dictionary indices and RLE booleans),
 * walked the way hyparquet's `readRleBitPackedHybrid` will walk them, without decoding anything into arrays.
 * hyparquet trusts each header: an RLE run claiming 2^30 values in a page of 16 makes it write 2^30 array
 * entries (minutes of CPU, gigabytes), so each run is checked against the values the decoder will ask for.
 */

/** A run header is an unsigned LEB128 varint; hyparquet reads it into an int32, so 2^31 or more is corrupt. */
const MAX_RUN_HEADER = 2 ** 31;
const MAX_RUN_HEADER_BYTES = 5;

export interface HybridSection {
  /** For messages: "the definition levels", "the dictionary indices". */
  what: string;
  /** The bytes hyparquet's reader sees (a whole page, or its decompressed values); the section is [start, end). */
  bytes: Uint8Array;
  start: number;
  end: number;
  /** Bits per value: 0–32. */
  width: number;
  /** The values the decoder reads from the section: it stops once it has them. */
  values: number;
  /** How those values are named in messages: "values", "non-null values". */
  unit: string;
  /** Count the values equal to this (the definition levels' maximum: a page's non-null values). */
  countEqual?: number;
}

/**
 * Checks every run header the decoder will meet and returns how many values equal `countEqual` (0 without it).
 * `fail` throws: the caller's DatasetError, prefixed with the file, row group, column and page.
 */
export function scanHybrid(section: HybridSection, fail: (problem: string) => never): number {
  const { what, bytes, start, end, width, values, unit, countEqual } = section;
  const valueBytes = (width + 7) >> 3;
  let seen = 0;
  let matches = 0;
  let at = start;
  while (seen < values) {
    if (at >= end) fail(`${what} end after ${seen} of the page's ${values} ${unit}`);
    const runAt = at - start;
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 7 * MAX_RUN_HEADER_BYTES) fail(`${what} have a run header (byte ${runAt}) longer than ${MAX_RUN_HEADER_BYTES} bytes`);
      if (at >= end) fail(`${what} end inside a run header (byte ${runAt})`);
      const byte = bytes[at++];
      header += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
    }
    if (header >= MAX_RUN_HEADER) fail(`${what} have a run header of ${header} (byte ${runAt}), over 2^31`);
    const after = seen ? ` after ${seen}` : '';
    if (header % 2 === 0) {
      const run = header / 2;
      if (run === 0) fail(`${what} hold a run of 0 values (byte ${runAt})`);
      if (seen + run > values) fail(`${what} hold a run of ${run} values${after}, but the page has ${values} ${unit}`);
      if (at + valueBytes > end) fail(`${what} end inside the value of a run of ${run} (byte ${runAt})`);
      if (countEqual !== undefined && littleEndian(bytes, at, valueBytes) === countEqual) matches += run;
      at += valueBytes;
      seen += run;
    } else {
      const groups = (header - 1) / 2;
      const covered = groups * 8;
      const runBytes = groups * width;
      if (at + runBytes > end) {
        const left = `${end - at} byte${end - at === 1 ? '' : 's'} left`;
        fail(`${what} hold a bit-packed run of ${covered} values (byte ${runAt}) whose ${runBytes} bytes run past the section's end (${left})`);
      }
      // Width 0 packs no bytes, so only the count bounds the decoder's loop: it may pad to a group of 8, no further.
      if (width === 0 && covered > Math.ceil((values - seen) / 8) * 8) {
        fail(`${what} hold a bit-packed run of ${covered} values${after}, but the page has ${values} ${unit}`);
      }
      if (countEqual !== undefined) matches += countPacked(bytes, at, width, Math.min(covered, values - seen), countEqual);
      // hyparquet reads a run's first byte before its loop, even when the run packs none.
      at += runBytes > 0 ? runBytes : at < bytes.length ? 1 : 0;
      seen += covered;
    }
  }
  return matches;
}

function littleEndian(bytes: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value += bytes[at + i] * 2 ** (8 * i);
  return value;
}

/** Values equal to `target` among the first `count` of a bit-packed run (LSB first), for widths up to 9 bits. */
function countPacked(bytes: Uint8Array, at: number, width: number, count: number, target: number): number {
  const mask = (1 << width) - 1;
  let matches = 0;
  for (let i = 0; i < count; i++) {
    const bit = i * width;
    const byte = at + (bit >> 3);
    const word = bytes[byte] | ((bytes[byte + 1] ?? 0) << 8);
    if (((word >> (bit & 7)) & mask) === target) matches++;
  }
  return matches;
}
