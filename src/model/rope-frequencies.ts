/**
 * RoPE inverse frequencies, computed on the host so every scaling scheme is a host-side choice and the
 * kernels only ever see `invFreq [headDim/2]`. Pair i at position p rotates by p · invFreq[i].
 */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export function ropeInverseFrequencies(
  headDim: number,
  theta: number,
  scaling: Llama3RopeScaling | null = null,
): Float32Array {
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) {
    throw new RangeError(`ropeInverseFrequencies: head dim must be a positive even integer, got ${headDim}`);
  }
  if (!(theta > 0)) throw new RangeError(`ropeInverseFrequencies: theta must be > 0, got ${theta}`);
  const half = headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    // float64, rounded once to f32
    const base = 1 / theta ** ((2 * i) / headDim);
    out[i] = scaling ? llama3Scale(base, scaling) : base;
  }
  return out;
}

/**
 * Llama 3.1's frequency-dependent scaling: long wavelengths are divided by `factor`, short ones kept, and the
 * band between is interpolated smoothly (as Meta's reference and Hugging Face's `rope_type: "llama3"` do).
 */
function llama3Scale(invFreq: number, s: Llama3RopeScaling): number {
  const lowFreqWavelen = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  const wavelen = (2 * Math.PI) / invFreq;
  if (wavelen < highFreqWavelen) return invFreq;
  if (wavelen > lowFreqWavelen) return invFreq / s.factor;
  const smooth = (s.originalMaxPositionEmbeddings / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (invFreq / s.factor) + smooth * invFreq;
}
