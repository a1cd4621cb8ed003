/**
 * Byte surgery on encoded files for the corruption tests: find a tensor info or metadata key by its name and patch
 * the fields after it. Test-only.
 */
import { concatBytes } from '../source';

export function findBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('needle not found');
}

/** Position just after the (length-prefixed) string `name` in the header. */
export function afterString(file: Uint8Array, name: string): number {
  const encoded = new TextEncoder().encode(name);
  const prefixed = concatBytes([u64(encoded.byteLength), encoded]);
  return findBytes(file, prefixed) + prefixed.byteLength;
}

export function u64(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** A copy of `file` with `bytes` written at `at`. */
export function patched(file: Uint8Array, at: number, bytes: Uint8Array): Uint8Array {
  const out = file.slice();
  out.set(bytes, at);
  return out;
}
