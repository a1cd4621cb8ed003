/**
 * Mutations of a valid file, as a fuzzer makes them: bit flips, overwritten and deleted bytes, truncation, inserted
 * and repeated blocks, a known length/count/offset field (see fields.ts) or a number written in text set to an
 * extreme. Each takes the bytes and returns new ones (the seed is never changed); the choices come from `rng`, so a
 * case is reproduced from its seed alone.
 */
import type { DataRng } from '../data/rng';

/**
 * A little-endian integer field of the seed file that a reader trusts at its peril: a count of entries (what sizes
 * an array), a length of a string or name, a size or offset of data, or a code (a type, a method, a rank).
 */
export interface Field {
  offset: number;
  width: 2 | 4 | 8;
  kind: 'count' | 'length' | 'size' | 'code';
}

const FIELD_KINDS: readonly Field['kind'][] = ['count', 'length', 'size', 'code'];

/** Where mutations concentrate: the header, central directory or footer, whose bytes the reader interprets. */
export type Region = readonly [start: number, end: number];

export interface MutationInput {
  fields: readonly Field[];
  hot: Region | null;
}

/** Values that break size arithmetic: zero, off-by-one at every power of two a reader might use, and the maxima. */
const EXTREMES: readonly bigint[] = [
  0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x1fffffffffffffn, 0x20000000000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn,
];

/** Numbers a JSON or CSV reader meets in hostile text. */
const TEXT_NUMBERS = ['-1', '0', '1e309', '-0', '0.5', '9007199254740993', '18446744073709551615', '1e-400', 'NaN', '1' + '0'.repeat(400)];

const below = (rng: DataRng, n: number) => (n <= 0 ? 0 : rng.below(n));

/** An offset, three times in four inside the hot region when there is one. */
function position(rng: DataRng, size: number, hot: Region | null): number {
  if (hot && hot[1] > hot[0] && below(rng, 4) < 3) return Math.min(size - 1, hot[0] + below(rng, hot[1] - hot[0]));
  return below(rng, size);
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

function randomBytes(rng: DataRng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextU32() & 0xff;
  return out;
}

function writeUint(bytes: Uint8Array, offset: number, width: 2 | 4 | 8, value: bigint): void {
  for (let i = 0; i < width && offset + i < bytes.length; i++) bytes[offset + i] = Number((value >> BigInt(8 * i)) & 0xffn);
}

function readUint(bytes: Uint8Array, offset: number, width: 2 | 4 | 8): bigint {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i] ?? 0);
  return v;
}

type Mutation = (bytes: Uint8Array, rng: DataRng, input: MutationInput) => Uint8Array;

const MUTATIONS: Readonly<Record<string, Mutation>> = {
  flip(bytes, rng, { hot }) {
    const out = bytes.slice();
    for (let n = 1 + below(rng, 8); n > 0; n--) out[position(rng, out.length, hot)] ^= 1 << below(rng, 8);
    return out;
  },
  overwrite(bytes, rng, { hot }) {
    const at = position(rng, bytes.length, hot);
    const out = bytes.slice();
    out.set(randomBytes(rng, Math.min(1 + below(rng, 16), out.length - at)), at);
    return out;
  },
  truncate(bytes, rng, { hot }) {
    return bytes.slice(0, position(rng, bytes.length, hot));
  },
  remove(bytes, rng, { hot }) {
    const at = position(rng, bytes.length, hot);
    return splice(bytes, at, Math.min(1 + below(rng, 256), bytes.length - at), new Uint8Array(0));
  },
  insert(bytes, rng, { hot }) {
    const at = position(rng, bytes.length, hot);
    const from = below(rng, bytes.length);
    const block = below(rng, 2) ? randomBytes(rng, 1 + below(rng, 64)) : bytes.slice(from, from + 1 + below(rng, 256));
    return splice(bytes, at, 0, block);
  },
  repeat(bytes, rng, { hot }) {
    const at = position(rng, bytes.length, hot);
    const block = bytes.slice(at, at + 1 + below(rng, 64));
    const times = 2 + below(rng, 1024);
    const run = new Uint8Array(block.length * times);
    for (let i = 0; i < times; i++) run.set(block, i * block.length);
    return splice(bytes, at, 0, run);
  },
  field(bytes, rng, { fields, hot }) {
    const out = bytes.slice();
    if (fields.length === 0) {
      writeUint(out, position(rng, out.length, hot), below(rng, 2) ? 4 : 8, EXTREMES[below(rng, EXTREMES.length)]);
      return out;
    }
    // A kind first, then a field of it: the few counts that size every allocation are not drowned out by hundreds
    // of string lengths.
    const kind = FIELD_KINDS[below(rng, FIELD_KINDS.length)];
    const ofKind = fields.filter((f) => f.kind === kind);
    const f = (ofKind.length ? ofKind : fields)[below(rng, ofKind.length || fields.length)];
    const mask = (1n << BigInt(8 * f.width)) - 1n;
    const old = readUint(out, f.offset, f.width);
    const near = [old + 1n, old - 1n, old * 2n, BigInt(bytes.length), BigInt(bytes.length) - old];
    const value = below(rng, 2) ? EXTREMES[below(rng, EXTREMES.length)] : near[below(rng, near.length)];
    writeUint(out, f.offset, f.width, value & mask);
    return out;
  },
  number(bytes, rng, { hot }) {
    // A run of digits in the text (a JSON offset, a shape, a count) replaced by an extreme number.
    const start = position(rng, bytes.length, hot);
    let i = start;
    while (i < bytes.length && (bytes[i] < 0x30 || bytes[i] > 0x39)) i++;
    if (i >= bytes.length) return MUTATIONS.flip(bytes, rng, { fields: [], hot });
    let end = i;
    while (end < bytes.length && bytes[end] >= 0x30 && bytes[end] <= 0x39) end++;
    return splice(bytes, i, end - i, new TextEncoder().encode(TEXT_NUMBERS[below(rng, TEXT_NUMBERS.length)]));
  },
};

/** Setting a known field is the likeliest way to reach a missing size check, so it is drawn three times as often. */
export const MUTATION_NAMES = [...Object.keys(MUTATIONS), 'field', 'field'];

/** One to four mutations in a row; returns the bytes and the names applied (for the report). */
export function mutate(seed: Uint8Array, rng: DataRng, input: MutationInput): { bytes: Uint8Array; applied: string[] } {
  let bytes = seed;
  const applied: string[] = [];
  for (let n = 1 + below(rng, 4); n > 0 && bytes.length > 0; n--) {
    const name = MUTATION_NAMES[below(rng, MUTATION_NAMES.length)];
    bytes = MUTATIONS[name](bytes, rng, input);
    applied.push(name);
  }
  return { bytes, applied };
}
