/**
 * The q/k row permutation between the two RoPE layouts. Hugging Face checkpoints rotate dimension i of a head with
 * i + headDim/2 ('half'); llama.cpp's converter reorders the rows of llama/mistral q and k weights (and of a LoRA's
 * B, which is what produces those rows) so that the pair becomes (2i, 2i + 1) ('interleaved'). Per head of
 * headDim rows, viewed as [2, headDim/2] and transposed to [headDim/2, 2]:
 *
 *   interleaved row h·headDim + 2i + j  =  half row h·headDim + j·headDim/2 + i      (i < headDim/2, j ∈ {0, 1})
 *
 * k uses the KV head count. Only rows move; columns (the input features) are untouched, so for a LoRA only B
 * changes and A stays as it is.
 */
import type { RopeLayout } from '../model/config';

/** Source row of each output row for the half → interleaved direction. */
function interleavedSourceRows(rows: number, nHeads: number): Int32Array {
  const headDim = rows / nHeads;
  if (!Number.isSafeInteger(nHeads) || nHeads <= 0 || !Number.isSafeInteger(headDim) || headDim % 2 !== 0) {
    throw new RangeError(`rope permutation: ${rows} rows do not split into ${nHeads} heads of an even size`);
  }
  const half = headDim / 2;
  const src = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const h = Math.floor(r / headDim);
    const within = r % headDim;
    src[r] = h * headDim + (within % 2) * half + (within >> 1);
  }
  return src;
}

function checkMatrix(m: Float32Array, cols: number): number {
  if (!Number.isSafeInteger(cols) || cols <= 0 || m.length % cols !== 0) {
    throw new RangeError(`rope permutation: ${m.length} values are not rows of ${cols} columns`);
  }
  return m.length / cols;
}

/** [nHeads·headDim, cols] in HF rotate-half row order → llama.cpp's interleaved order (a new array). */
export function permuteRowsToInterleaved(m: Float32Array, nHeads: number, cols: number): Float32Array {
  const rows = checkMatrix(m, cols);
  const src = interleavedSourceRows(rows, nHeads);
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) out.set(m.subarray(src[r] * cols, (src[r] + 1) * cols), r * cols);
  return out;
}

/** The inverse: interleaved row order → HF rotate-half order (a new array). */
export function permuteRowsToHalf(m: Float32Array, nHeads: number, cols: number): Float32Array {
  const rows = checkMatrix(m, cols);
  const src = interleavedSourceRows(rows, nHeads);
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * cols, (r + 1) * cols), src[r] * cols);
  return out;
}

/** Rows from one layout to the other; the same array when the layouts agree. */
export function convertRowLayout(m: Float32Array, nHeads: number, cols: number, from: RopeLayout, to: RopeLayout): Float32Array {
  if (from === to) return m;
  return to === 'interleaved' ? permuteRowsToInterleaved(m, nHeads, cols) : permuteRowsToHalf(m, nHeads, cols);
}
