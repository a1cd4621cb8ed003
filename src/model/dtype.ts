/**
 * Half-precision conversions on the host, for weights stored as F16 or BF16 when a path needs f32 (the f32 kernels,
 * CPU references) and for writing adapters back out. Little-endian byte order throughout, as in GGUF and safetensors.
 */
import { halfToFloat } from './quant/half';

let f16Table: Float32Array | null = null;

/** All 65,536 f16 values decoded once (256 KB): a table lookup beats bit-twiddling per element by a wide margin. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = f16BitsToF32(h);
  f16Table = table;
  return table;
}

/** One IEEE 754 binary16 bit pattern to a number (exact): the decode the quantized blocks' f16 scales use. */
export const f16BitsToF32: (h: number) => number = halfToFloat;

/** A number to the nearest binary16 (round to nearest even), saturating to ±Infinity past 65504. */
export function f32ToF16Bits(value: number): number {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return 0x7e00;
  const sign = f < 0 || Object.is(f, -0) ? 0x8000 : 0;
  const a = Math.abs(f);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -24 / 2) return sign; // rounds to zero (exactly half of the smallest subnormal is a tie to even 0)
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // subnormal; may round up into the normals
  let exp = Math.floor(Math.log2(a));
  if (2 ** exp > a) exp--; // log2 can be off by one near powers of two
  if (2 ** (exp + 1) <= a) exp++;
  const mant = roundHalfEven((a / 2 ** exp - 1) * 1024);
  const bits = ((exp + 15) << 10) + mant; // a mantissa that rounds to 1024 carries into the exponent
  return bits >= 0x7c00 ? sign | 0x7c00 : sign | bits;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** bfloat16 is the top half of an f32: decoding is a shift. */
export function bf16BitsToF32(b: number): number {
  scratchU32[0] = (b & 0xffff) << 16;
  return scratchF32[0];
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** A number to bfloat16 with round to nearest even (NaN kept quiet), as PyTorch does. */
export function f32ToBf16Bits(value: number): number {
  scratchF32[0] = value;
  const u = scratchU32[0];
  if (Number.isNaN(scratchF32[0])) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian u16 view of `bytes`, copying only when the view would be misaligned. */
function u16View(bytes: Uint8Array): Uint16Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`16-bit data of odd byte length ${bytes.byteLength}`);
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

export function f16BytesToF32(bytes: Uint8Array): Float32Array {
  const src = u16View(bytes);
  const table = halfTable();
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

export function bf16BytesToF32(bytes: Uint8Array): Float32Array {
  const src = u16View(bytes);
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

export function f32ToF16Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return new Uint8Array(out.buffer);
}

export function f32ToBf16Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToBf16Bits(values[i]);
  return new Uint8Array(out.buffer);
}

/** Raw F32/F16/BF16 tensor bytes as f32 values (F32 is returned as a view when aligned, else copied). */
export function floatBytesToF32(bytes: Uint8Array, dtype: 'F32' | 'F16' | 'BF16'): Float32Array {
  if (dtype === 'F16') return f16BytesToF32(bytes);
  if (dtype === 'BF16') return bf16BytesToF32(bytes);
  if (bytes.byteLength % 4 !== 0) throw new RangeError(`F32 data of byte length ${bytes.byteLength}`);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
