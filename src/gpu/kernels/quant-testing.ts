/**
 * Quantizers for the kernel tests: every format the kernels read, from f32 values. Q8_0, Q4_0 and Q4_K are the
 * exporter's (model/quant/quantize.ts); Q6_K, which nothing exports, is test-only here, written from the published
 * block layout (see model/quant/dequantize.ts) with simple absmax scales: only the layout has to match.
 * Also `randomBlocks`, blocks of random bytes with sane scales, which reach bit patterns a quantizer may not.
 */
import { QUANT_FORMATS, quantByteSize, type QuantFormat } from '../../model/quant/formats';
import { f32ToBf16Bytes, f32ToF16Bytes } from '../../model/dtype';
import { floatToHalf, halfToFloat } from '../../model/quant/half';
import { quantizeNf4 } from '../../model/quant/nf4';
import { quantizeBlocks } from '../../model/quant/quantize';
import { mulberry32 } from '../testing/random';

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
/** The value of `v` once stored as f16, so quants are chosen against the scale the kernels will read. */
const asHalf = (v: number): number => halfToFloat(floatToHalf(v));

function blocks(format: QuantFormat, values: ArrayLike<number>) {
  const { blockSize, blockBytes } = QUANT_FORMATS[format];
  const out = new Uint8Array(quantByteSize(format, values.length));
  return { out, view: new DataView(out.buffer), count: values.length / blockSize, blockSize, blockBytes };
}

/** Value with the largest magnitude among values[from, from + n). */
function signedMax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = from; i < from + n; i++) if (Math.abs(values[i]) > Math.abs(best)) best = values[i];
  return best;
}

function quantizeQ6_K(values: ArrayLike<number>): Uint8Array {
  const { out, view, count } = blocks('q6_k', values);
  for (let b = 0; b < count; b++) {
    const at = b * 210;
    const x = (i: number): number => values[b * 256 + i];
    // Per 16 values a signed scale mapping the extreme value to −32, as ggml does: scales of both signs.
    const scales = Array.from({ length: 16 }, (_, j) => signedMax(values, b * 256 + 16 * j, 16) / -32);
    const d = asHalf(Math.max(...scales.map(Math.abs)) / 127);
    const sc = scales.map((s) => (d ? clamp(Math.round(s / d), -128, 127) : 0));
    view.setUint16(at + 208, floatToHalf(d), true);
    for (let j = 0; j < 16; j++) view.setInt8(at + 192 + j, sc[j]);
    const L = (i: number): number => {
      const step = d * sc[i >> 4];
      return (step ? clamp(Math.round(x(i) / step), -32, 31) : 0) + 32;
    };
    for (let h = 0; h < 2; h++) {
      for (let l = 0; l < 32; l++) {
        const [q1, q2, q3, q4] = [L(128 * h + l), L(128 * h + l + 32), L(128 * h + l + 64), L(128 * h + l + 96)];
        out[at + 64 * h + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
        out[at + 64 * h + l + 32] = (q2 & 0xf) | ((q4 & 0xf) << 4);
        out[at + 128 + 32 * h + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
    }
  }
  return out;
}

/** Quantizes `values` (a whole number of blocks) to `format`'s host layout. */
export function quantizeForTest(format: QuantFormat, values: ArrayLike<number>): Uint8Array {
  switch (format) {
    case 'q8_0':
    case 'q4_0':
    case 'q4_k':
      return quantizeBlocks(format, values);
    case 'q6_k':
      return quantizeQ6_K(values);
    case 'nf4':
      return quantizeNf4(values);
    case 'f16':
      return f32ToF16Bytes(values);
    case 'bf16':
      return f32ToBf16Bytes(values);
  }
}

/** Byte offsets of the floating-point scale fields of one block (f16, or f32 for NF4's absmax). */
const SCALE_FIELDS: Record<QuantFormat, { at: number[]; f32?: boolean }> = {
  q8_0: { at: [0] },
  q4_0: { at: [0] },
  q4_k: { at: [0, 2] },
  q6_k: { at: [208] },
  nf4: { at: [0], f32: true },
  f16: { at: [] },
  bf16: { at: [] },
};

/** Random 16-bit floats: sign and mantissa bits random, the exponent kept within 2⁻⁸..2² (no Inf or NaN). */
function randomFloat16(format: 'f16' | 'bf16', count: number, next: () => number): Uint8Array {
  const out = new Uint16Array(count);
  const [mantissaBits, bias] = format === 'f16' ? [10, 15] : [7, 127];
  for (let i = 0; i < count; i++) {
    const sign = next() < 0.5 ? 0x8000 : 0;
    const exponent = bias - 8 + Math.floor(next() * 11);
    out[i] = sign | (exponent << mantissaBits) | Math.floor(next() * 2 ** mantissaBits);
  }
  return new Uint8Array(out.buffer);
}

/** `count` values' worth of random blocks: every quant and packed-scale bit random, float scales in ±[1/64, 1/8]. */
export function randomBlocks(format: QuantFormat, count: number, seed: number): Uint8Array {
  const next = mulberry32(seed);
  if (format === 'f16' || format === 'bf16') return randomFloat16(format, count, next);
  const out = new Uint8Array(quantByteSize(format, count));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  const view = new DataView(out.buffer);
  const { blockBytes } = QUANT_FORMATS[format];
  const { at, f32 } = SCALE_FIELDS[format];
  for (let b = 0; b < out.length / blockBytes; b++) {
    for (const offset of at) {
      const scale = (next() < 0.5 ? -1 : 1) * (1 / 64 + next() * (1 / 8 - 1 / 64));
      if (f32) view.setFloat32(b * blockBytes + offset, Math.abs(scale), true);
      else view.setUint16(b * blockBytes + offset, floatToHalf(scale), true);
    }
  }
  return out;
}
