/**
 * CPU dequantization of every quantized format, block by block, following the block layouts of ggml's
 * ggml-common.h / dequantize_row_* in ggml-quants.c (and nf4.ts for NF4). Used by loaders (weights that stay
 * dense) and by the CPU references of the quantized matmul kernels.
 *
 * Block layouts, byte offsets within a block (all little-endian):
 *   Q8_0 (32 values, 34 B):  d f16 @0; qs int8[32] @2.                         v[i] = d·qs[i]
 *   Q4_0 (32 values, 18 B):  d f16 @0; qs u8[16] @2; value i < 16 is the low nibble of qs[i], value i + 16
 *                            its high nibble.                                   v = d·(q − 8)
 *   Q4_K (256 values, 144 B): d f16 @0; dmin f16 @2; scales u8[12] @4 (eight 6-bit scales and eight 6-bit
 *                            mins, packed as in `q4kScaleMin`); qs u8[128] @16. Values 64c..64c+31 are the
 *                            low nibbles of qs[32c..32c+31], values 64c+32..64c+63 their high nibbles;
 *                            sub-block j = value / 32.                          v = d·sc[j]·q − dmin·m[j]
 *   Q6_K (256 values, 210 B): ql u8[128] @0; qh u8[64] @128; scales int8[16] @192; d f16 @208. In each
 *                            half h (128 values; ql += 64h, qh += 32h, sc += 8h), for l < 32:
 *                              value l      = ql[l] low nibble    | (qh[l] bits 0-1) << 4, scale sc[l/16]
 *                              value l + 32 = ql[l+32] low nibble | (qh[l] bits 2-3) << 4, scale sc[2 + l/16]
 *                              value l + 64 = ql[l] high nibble   | (qh[l] bits 4-5) << 4, scale sc[4 + l/16]
 *                              value l + 96 = ql[l+32] high nibble| (qh[l] bits 6-7) << 4, scale sc[6 + l/16]
 *                                                                               v = d·sc·(q − 32)
 *   F16, BF16 (32 values, 64 B): each value its own little-endian 16 bits (not quantized; a block is a kernel step).
 *   NF4  (64 values, 36 B):  absmax f32 @0; codes u8[32] @4, value 2i in the high nibble of codes[i] and
 *                            value 2i + 1 in the low nibble (bitsandbytes' order).  v = absmax·NF4[code]
 */
import type { GgmlTypeName } from '../ggml-types';
import { isFloat16Format, QUANT_FORMATS, quantByteSize, quantFormatOfGgml, type QuantFormat } from './formats';
import { floatBytesToF32 } from '../dtype';
import { halfToFloat } from './half';
import { NF4_CODE } from './nf4-code';

/** Sub-block j's 6-bit scale and min of a Q4_K block, from the 12 packed bytes starting at `at`. */
export function q4kScaleMin(bytes: Uint8Array, at: number, j: number): { scale: number; min: number } {
  if (j < 4) return { scale: bytes[at + j] & 63, min: bytes[at + j + 4] & 63 };
  return {
    scale: (bytes[at + j + 4] & 0xf) | ((bytes[at + j - 4] >> 6) << 4),
    min: (bytes[at + j + 4] >> 4) | ((bytes[at + j] >> 6) << 4),
  };
}

type BlockDecoder = (bytes: Uint8Array, view: DataView, at: number, out: Float32Array, o: number) => void;

const f16 = (view: DataView, at: number): number => halfToFloat(view.getUint16(at, true));
const i8 = (byte: number): number => (byte << 24) >> 24;

/** Block decoders of the quantized formats; the 16-bit floats convert as a whole (below). */
const DECODERS: Record<Exclude<QuantFormat, 'f16' | 'bf16'>, BlockDecoder> = {
  q8_0(bytes, view, at, out, o) {
    const d = f16(view, at);
    for (let i = 0; i < 32; i++) out[o + i] = d * i8(bytes[at + 2 + i]);
  },
  q4_0(bytes, view, at, out, o) {
    const d = f16(view, at);
    for (let i = 0; i < 16; i++) {
      const b = bytes[at + 2 + i];
      out[o + i] = d * ((b & 0xf) - 8);
      out[o + i + 16] = d * ((b >> 4) - 8);
    }
  },
  q4_k(bytes, view, at, out, o) {
    const d = f16(view, at);
    const dmin = f16(view, at + 2);
    for (let c = 0; c < 4; c++) {
      const lo = q4kScaleMin(bytes, at + 4, 2 * c);
      const hi = q4kScaleMin(bytes, at + 4, 2 * c + 1);
      // Sub-block scale and min rounded to f32, as ggml computes them.
      const d1 = Math.fround(d * lo.scale), m1 = Math.fround(dmin * lo.min);
      const d2 = Math.fround(d * hi.scale), m2 = Math.fround(dmin * hi.min);
      for (let l = 0; l < 32; l++) {
        const q = bytes[at + 16 + 32 * c + l];
        out[o + 64 * c + l] = d1 * (q & 0xf) - m1;
        out[o + 64 * c + 32 + l] = d2 * (q >> 4) - m2;
      }
    }
  },
  q6_k(bytes, view, at, out, o) {
    const d = f16(view, at + 208);
    for (let h = 0; h < 2; h++) {
      const ql = at + 64 * h, qh = at + 128 + 32 * h, sc = at + 192 + 8 * h, y = o + 128 * h;
      for (let l = 0; l < 32; l++) {
        const s = l >> 4;
        const high = bytes[qh + l];
        const q1 = ((bytes[ql + l] & 0xf) | ((high & 3) << 4)) - 32;
        const q2 = ((bytes[ql + l + 32] & 0xf) | (((high >> 2) & 3) << 4)) - 32;
        const q3 = ((bytes[ql + l] >> 4) | (((high >> 4) & 3) << 4)) - 32;
        const q4 = ((bytes[ql + l + 32] >> 4) | (((high >> 6) & 3) << 4)) - 32;
        out[y + l] = Math.fround(d * i8(bytes[sc + s])) * q1;
        out[y + l + 32] = Math.fround(d * i8(bytes[sc + s + 2])) * q2;
        out[y + l + 64] = Math.fround(d * i8(bytes[sc + s + 4])) * q3;
        out[y + l + 96] = Math.fround(d * i8(bytes[sc + s + 6])) * q4;
      }
    }
  },
  nf4(bytes, view, at, out, o) {
    const absmax = view.getFloat32(at, true);
    for (let i = 0; i < 32; i++) {
      const b = bytes[at + 4 + i];
      out[o + 2 * i] = absmax * NF4_CODE[b >> 4];
      out[o + 2 * i + 1] = absmax * NF4_CODE[b & 0xf];
    }
  },
};

/** Dequantizes `count` values (a whole number of blocks) stored in `bytes` in `format`'s block layout. */
export function dequantize(format: QuantFormat, bytes: Uint8Array, count: number): Float32Array {
  const need = quantByteSize(format, count);
  if (bytes.byteLength < need) {
    throw new RangeError(`${format}: ${count} values need ${need} bytes, got ${bytes.byteLength}`);
  }
  // 16-bit floats convert in one pass (a whole tensor read for the CPU reference or a dense upload).
  if (isFloat16Format(format)) return floatBytesToF32(bytes.subarray(0, need), format === 'f16' ? 'F16' : 'BF16');
  const { blockSize, blockBytes } = QUANT_FORMATS[format];
  const decode = DECODERS[format];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let b = 0; b < count / blockSize; b++) decode(bytes, view, b * blockBytes, out, b * blockSize);
  return out;
}

const FLOAT_BYTES: Partial<Record<GgmlTypeName, number>> = { F32: 4, F16: 2, BF16: 2 };

/** Bytes of `count` values of a tensor of type `dtype` (F32, F16, BF16 or a quantized format); null for a type webtune does not read. */
export function tensorByteSize(dtype: GgmlTypeName, count: number): number | null {
  const float = FLOAT_BYTES[dtype];
  if (float) return count * float;
  const format = quantFormatOfGgml(dtype);
  return format ? quantByteSize(format, count) : null;
}

/**
 * The first `count` values of a tensor's bytes of type `dtype`, as f32 (floats of any count, quantized formats in
 * whole blocks); null for a type webtune does not read.
 */
export function decodeTensorBytes(bytes: Uint8Array, dtype: GgmlTypeName, count: number): Float32Array | null {
  const float = FLOAT_BYTES[dtype];
  if (float) return floatBytesToF32(bytes.subarray(0, count * float), dtype as 'F32' | 'F16' | 'BF16');
  const format = quantFormatOfGgml(dtype);
  return format ? dequantize(format, bytes, count) : null;
}
