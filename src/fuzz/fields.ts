/**
 * Where a valid file keeps its lengths, counts and offsets, so the fuzzer can set exactly those to extremes (a
 * random byte rarely lands on one), and the region a reader interprets (the hot region). The seeds are files our
 * own writers made, so each walk assumes a well-formed file and stops at the first thing it does not expect.
 */
import type { Field, Region } from './mutate';

export interface SeedLayout {
  fields: Field[];
  hot: Region | null;
}

/** GGUF: the two counts, every string length, array count and element type, every dimension, type and data offset. */
export function ggufLayout(bytes: Uint8Array): SeedLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [
    { offset: 8, width: 8, kind: 'count' },
    { offset: 16, width: 8, kind: 'count' },
  ];
  let pos = 24;
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const string = (keep = true) => {
    if (keep) fields.push({ offset: pos, width: 8, kind: 'length' });
    pos += 8 + u64(pos);
  };
  const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
  // Only the first few lengths inside an array are kept: a 32,000-entry vocabulary's string lengths would otherwise
  // crowd out the counts and offsets that size every allocation.
  const value = (type: number, keep = true): void => {
    if (type === 8) return string(keep);
    if (type === 9) {
      fields.push({ offset: pos, width: 4, kind: 'code' }, { offset: pos + 4, width: 8, kind: 'count' });
      const element = view.getUint32(pos, true);
      const count = u64(pos + 4);
      pos += 12;
      if (element === 8 || element === 9) for (let i = 0; i < count; i++) value(element, keep && i < 4);
      else pos += count * (FIXED[element] ?? 0);
      return;
    }
    pos += FIXED[type] ?? 0;
  };
  try {
    const tensors = u64(8);
    const kvs = u64(16);
    for (let i = 0; i < kvs; i++) {
      string();
      fields.push({ offset: pos, width: 4, kind: 'code' });
      const type = view.getUint32(pos, true);
      pos += 4;
      value(type);
    }
    for (let i = 0; i < tensors; i++) {
      string();
      fields.push({ offset: pos, width: 4, kind: 'count' });
      const dims = view.getUint32(pos, true);
      pos += 4;
      for (let d = 0; d < dims; d++, pos += 8) fields.push({ offset: pos, width: 8, kind: 'size' });
      fields.push({ offset: pos, width: 4, kind: 'code' }, { offset: pos + 4, width: 8, kind: 'size' });
      pos += 12;
    }
  } catch {
    // A walk past the end: keep the fields found so far.
  }
  return { fields, hot: [0, Math.min(pos, bytes.length)] };
}

/** safetensors: the header length; the JSON header is the hot region (its numbers are mutated as text). */
export function safetensorsLayout(bytes: Uint8Array): SeedLayout {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return { fields: [{ offset: 0, width: 8, kind: 'length' }], hot: [0, 8 + length] };
}

/** Zip: every local header's, central directory entry's and end record's sizes, counts, offsets and methods. */
export function zipLayout(bytes: Uint8Array): SeedLayout {
  const fields: Field[] = [];
  let hotStart = bytes.length;
  const at = (i: number, ...spec: [number, 2 | 4, Field['kind']][]) =>
    spec.forEach(([offset, width, kind]) => fields.push({ offset: i + offset, width, kind }));
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (bytes[i] !== 0x50 || bytes[i + 1] !== 0x4b) continue;
    const kind = bytes[i + 2] * 256 + bytes[i + 3];
    // method, compressed and uncompressed sizes, name and extra lengths
    if (kind === 0x0304) at(i, [8, 2, 'code'], [18, 4, 'size'], [22, 4, 'size'], [26, 2, 'length'], [28, 2, 'length']);
    if (kind === 0x0102) {
      hotStart = Math.min(hotStart, i);
      at(i, [10, 2, 'code'], [20, 4, 'size'], [24, 4, 'size'], [28, 2, 'length'], [30, 2, 'length'], [32, 2, 'length'], [42, 4, 'size']);
    }
    // entry counts, directory size and offset, comment length
    if (kind === 0x0506) at(i, [8, 2, 'count'], [10, 2, 'count'], [12, 4, 'size'], [16, 4, 'size'], [20, 2, 'length']);
  }
  return { fields, hot: [hotStart, bytes.length] };
}

/** Parquet: the footer length; the Thrift footer is the hot region. */
export function parquetLayout(bytes: Uint8Array): SeedLayout {
  const lengthAt = bytes.length - 8;
  const footer = new DataView(bytes.buffer, bytes.byteOffset).getUint32(lengthAt, true);
  return { fields: [{ offset: lengthAt, width: 4, kind: 'length' }], hot: [Math.max(0, lengthAt - footer), bytes.length] };
}

/** Text files: no binary fields; mutations spread over the whole file. */
export const TEXT_LAYOUT: SeedLayout = { fields: [], hot: null };
