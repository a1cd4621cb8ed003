/**
 * NF4 quantization (QLoRA): each block of 64 consecutive values of a row is scaled by its absolute maximum
 * and every value is replaced by the index of the nearest NF4 code (nf4-code.ts). Host layout per block:
 * {f32 absmax; u8 codes[32]} = 36 bytes (4.5 bits per value), value 2i in the high nibble of codes[i].
 * No double quantization of absmax: it would save 0.37 bits per value at the cost of a second decode step.
 */
import { NF4_BLOCK_BYTES, NF4_BLOCK_SIZE } from './formats';
import { NF4_CODE } from './nf4-code';

/** Midpoints between neighbouring codes: a value's code is the number of midpoints below it. */
const THRESHOLDS = NF4_CODE.slice(1).map((c, i) => (c + NF4_CODE[i]) / 2);

/** Index of the code nearest to `v` (v in [−1, 1]; ties go to the larger code). */
export function nf4Code(v: number): number {
  let code = 0;
  while (code < THRESHOLDS.length && v >= THRESHOLDS[code]) code++;
  return code;
}

/** Largest |v − absmax·NF4[code(v/absmax)]| / absmax over v in [−absmax, absmax]: half the widest gap. */
export const NF4_MAX_RELATIVE_ERROR = Math.max(...NF4_CODE.slice(1).map((c, i) => (c - NF4_CODE[i]) / 2));

/**
 * Quantizes `values` (a whole number of 64-value blocks, e.g. a row-major [N, K] weight with K % 64 == 0).
 * Throws a RangeError naming `label` on a partial block or a value that is not finite.
 */
export function quantizeNf4(values: ArrayLike<number>, label = 'tensor'): Uint8Array {
  if (values.length % NF4_BLOCK_SIZE !== 0) {
    throw new RangeError(`quantizeNf4 '${label}': ${values.length} values is not a multiple of ${NF4_BLOCK_SIZE}`);
  }
  const blocks = values.length / NF4_BLOCK_SIZE;
  const out = new Uint8Array(blocks * NF4_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const first = b * NF4_BLOCK_SIZE;
    let absmax = 0;
    for (let i = 0; i < NF4_BLOCK_SIZE; i++) {
      const v = values[first + i];
      if (!Number.isFinite(v)) throw new RangeError(`quantizeNf4 '${label}': value ${v} at index ${first + i}`);
      absmax = Math.max(absmax, Math.abs(v));
    }
    absmax = Math.fround(absmax);
    const at = b * NF4_BLOCK_BYTES;
    view.setFloat32(at, absmax, true);
    const inv = absmax > 0 ? 1 / absmax : 0; // an all-zero block gets code 7, NF4's exact zero
    for (let i = 0; i < NF4_BLOCK_SIZE / 2; i++) {
      const hi = nf4Code(values[first + 2 * i] * inv);
      const lo = nf4Code(values[first + 2 * i + 1] * inv);
      out[at + 4 + i] = (hi << 4) | lo;
    }
  }
  return out;
}
