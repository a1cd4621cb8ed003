/**
 * f32 values → GGML blocks, for exporting models llama.cpp runs (merged GGUF exports) and for building test models.
 * The block layouts are those dequantize.ts reads (ggml-common.h). The scales follow llama.cpp's reference
 * quantizers: Q8_0 maps a block's largest magnitude to ±127; Q4_0 maps its most extreme value to −8; Q4_K searches
 * each 32-value sub-block's scale and minimum for the least weighted squared error (as llama.cpp's make_qkx2_quants
 * does), weighting each value by the block's RMS plus its own magnitude, then stores the sub-block scales and mins
 * in 6 bits against two f16 super-scales. Quants are always chosen against the scales as stored (rounded to f16
 * and to 6 bits), so decoding never meets a scale the search did not.
 */
import { floatToHalf, halfToFloat } from './half';
import { QUANT_FORMATS, quantByteSize } from './formats';

export type BlockQuant = 'q8_0' | 'q4_0' | 'q4_k';

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
/** `v` once stored as f16. */
const asHalf = (v: number): number => halfToFloat(floatToHalf(v));

function blocks(format: BlockQuant, values: ArrayLike<number>) {
  const out = new Uint8Array(quantByteSize(format, values.length));
  const { blockSize } = QUANT_FORMATS[format];
  return { out, view: new DataView(out.buffer), count: values.length / blockSize };
}

/** The value with the largest magnitude among values[from, from + n) (the first such, as ggml keeps it). */
function signedMax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = from; i < from + n; i++) if (Math.abs(values[i]) > Math.abs(best)) best = values[i];
  return best;
}

export function quantizeQ8_0(values: ArrayLike<number>): Uint8Array {
  const { out, view, count } = blocks('q8_0', values);
  for (let b = 0; b < count; b++) {
    const at = b * 34;
    const d = asHalf(Math.abs(signedMax(values, b * 32, 32)) / 127);
    view.setUint16(at, floatToHalf(d), true);
    for (let i = 0; i < 32; i++) view.setInt8(at + 2 + i, d ? clamp(Math.round(values[b * 32 + i] / d), -127, 127) : 0);
  }
  return out;
}

export function quantizeQ4_0(values: ArrayLike<number>): Uint8Array {
  const { out, view, count } = blocks('q4_0', values);
  for (let b = 0; b < count; b++) {
    const at = b * 18;
    // The extreme value maps to q = 0, i.e. −8·d: the sign of d carries the side that gets the extra step.
    const d = asHalf(signedMax(values, b * 32, 32) / -8);
    view.setUint16(at, floatToHalf(d), true);
    const q = (i: number): number => (d ? clamp(Math.round(values[b * 32 + i] / d) + 8, 0, 15) : 8);
    for (let i = 0; i < 16; i++) out[at + 2 + i] = q(i) | (q(i + 16) << 4);
  }
  return out;
}

/**
 * The scale and (non-negative) minimum of one sub-block, x ≈ scale·q − min with q in 0..nmax, least weighted
 * squared error over a small search of starting scales (each refined by a weighted least-squares fit).
 */
function fitScaleMin(x: Float64Array, w: Float64Array, nmax: number): { scale: number; min: number } {
  const n = x.length;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
  }
  lo = Math.min(lo, 0); // a block that is all positive still decodes 0 exactly: the minimum is never above 0
  if (hi === lo) return { scale: 0, min: -lo };
  const errorOf = (scale: number, offset: number): number => {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const q = clamp(Math.round((x[i] - offset) / scale), 0, nmax);
      e += w[i] * (scale * q + offset - x[i]) ** 2;
    }
    return e;
  };
  let bestScale = (hi - lo) / nmax, bestOffset = lo;
  let bestError = errorOf(bestScale, bestOffset);
  for (let step = 0; step <= 20; step++) {
    const iscale = (nmax - 1 + 0.1 * step) / (hi - lo);
    let sw = 0, sl = 0, sl2 = 0, sxl = 0, sx = 0;
    for (let i = 0; i < n; i++) {
      const l = clamp(Math.round(iscale * (x[i] - lo)), 0, nmax);
      sw += w[i];
      sl += w[i] * l;
      sl2 += w[i] * l * l;
      sxl += w[i] * l * x[i];
      sx += w[i] * x[i];
    }
    const det = sw * sl2 - sl * sl;
    if (det <= 0) continue;
    let scale = (sw * sxl - sx * sl) / det;
    let offset = (sl2 * sx - sl * sxl) / det;
    if (offset > 0) {
      offset = 0;
      scale = sxl / sl2;
    }
    if (!(scale > 0)) continue;
    const e = errorOf(scale, offset);
    if (e < bestError) [bestError, bestScale, bestOffset] = [e, scale, offset];
  }
  return { scale: bestScale, min: -bestOffset };
}

/** Packs eight 6-bit scales and mins the way ggml's get_scale_min_k4 (q4kScaleMin) unpacks them. */
function packQ4kScales(out: Uint8Array, at: number, sc: number[], mn: number[]): void {
  for (let j = 0; j < 4; j++) {
    out[at + j] = sc[j] | ((sc[j + 4] >> 4) << 6);
    out[at + j + 4] = mn[j] | ((mn[j + 4] >> 4) << 6);
    out[at + j + 8] = (sc[j + 4] & 0xf) | ((mn[j + 4] & 0xf) << 4);
  }
}

export function quantizeQ4_K(values: ArrayLike<number>): Uint8Array {
  const { out, view, count } = blocks('q4_k', values);
  const x = new Float64Array(32);
  const w = new Float64Array(32);
  for (let b = 0; b < count; b++) {
    const at = b * 144;
    const base = b * 256;
    let sumSquares = 0;
    for (let i = 0; i < 256; i++) sumSquares += values[base + i] ** 2;
    const rms = Math.sqrt(sumSquares / 256);
    const scales: number[] = [];
    const mins: number[] = [];
    for (let j = 0; j < 8; j++) {
      for (let i = 0; i < 32; i++) {
        x[i] = values[base + 32 * j + i];
        w[i] = rms + Math.abs(x[i]);
      }
      const fit = fitScaleMin(x, w, 15);
      scales.push(fit.scale);
      mins.push(fit.min);
    }
    const d = asHalf(Math.max(...scales) / 63);
    const dmin = asHalf(Math.max(...mins) / 63);
    const sc = scales.map((s) => (d ? clamp(Math.round(s / d), 0, 63) : 0));
    const mn = mins.map((m) => (dmin ? clamp(Math.round(m / dmin), 0, 63) : 0));
    view.setUint16(at, floatToHalf(d), true);
    view.setUint16(at + 2, floatToHalf(dmin), true);
    packQ4kScales(out, at + 4, sc, mn);
    // Against the sub-block scale and min as the decoder forms them (f32 products of the stored parts).
    const q = (i: number): number => {
      const j = i >> 5;
      const step = Math.fround(d * sc[j]);
      const min = Math.fround(dmin * mn[j]);
      return step ? clamp(Math.round((values[base + i] + min) / step), 0, 15) : 0;
    };
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) out[at + 16 + 32 * c + l] = q(64 * c + l) | (q(64 * c + 32 + l) << 4);
    }
  }
  return out;
}

const QUANTIZERS: Record<BlockQuant, (values: ArrayLike<number>) => Uint8Array> = {
  q8_0: quantizeQ8_0,
  q4_0: quantizeQ4_0,
  q4_k: quantizeQ4_K,
};

/** `values` (a whole number of blocks) in `format`'s block layout. */
export function quantizeBlocks(format: BlockQuant, values: ArrayLike<number>): Uint8Array {
  return QUANTIZERS[format](values);
}
