/**
 * CPU reference for attention.ts: plain full-softmax attention in float64 (every score row is formed whole),
 * forward and analytic backward. Shapes as in attention.ts: q, out [T, Hq, D]; k, v [Tk, Hkv, D];
 * seqStart [T]; lse [Hq, T].
 */
export interface AttentionRefShape {
  T: number;
  Tk: number;
  Hq: number;
  Hkv: number;
  D: number;
  qOffset: number;
  scale: number;
}

/** Query i may see key j iff seqStart[i] ≤ j ≤ qOffset + i. */
function visibleKeys(shape: AttentionRefShape, seqStart: ArrayLike<number>, i: number): [number, number] {
  return [seqStart[i], Math.min(shape.qOffset + i, shape.Tk - 1)];
}

/** Softmax probabilities of one (query i, query head h) row over keys first..last, with the row's lse. */
function rowProbabilities(
  shape: AttentionRefShape,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  i: number,
  h: number,
  first: number,
  last: number,
): { p: Float64Array; lse: number } {
  const { Hq, Hkv, D, scale } = shape;
  const hk = Math.floor(h / (Hq / Hkv));
  const n = Math.max(0, last - first + 1);
  const s = new Float64Array(n);
  let max = -Infinity;
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let d = 0; d < D; d++) acc += q[(i * Hq + h) * D + d] * k[((first + j) * Hkv + hk) * D + d];
    s[j] = scale * acc;
    max = Math.max(max, s[j]);
  }
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(s[j] - max);
  for (let j = 0; j < n; j++) s[j] = Math.exp(s[j] - max) / sum;
  return { p: s, lse: max + Math.log(sum) };
}

export function attentionForwardRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  seqStart: ArrayLike<number>,
  shape: AttentionRefShape,
): { out: Float64Array; lse: Float64Array } {
  const { T, Hq, Hkv, D } = shape;
  const out = new Float64Array(T * Hq * D);
  const lse = new Float64Array(Hq * T);
  for (let i = 0; i < T; i++) {
    const [first, last] = visibleKeys(shape, seqStart, i);
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / (Hq / Hkv));
      const row = rowProbabilities(shape, q, k, i, h, first, last);
      lse[h * T + i] = row.lse;
      for (let j = 0; j < row.p.length; j++) {
        for (let d = 0; d < D; d++) out[(i * Hq + h) * D + d] += row.p[j] * v[((first + j) * Hkv + hk) * D + d];
      }
    }
  }
  return { out, lse };
}

/**
 * Analytic gradients with the softmax Jacobian written directly: dS_j = p_j (dP_j − Σ_l p_l dP_l), which does not
 * go through out or lse, so it checks the kernels' delta = rowsum(dOut∘out) shortcut independently.
 */
export function attentionBackwardRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dOut: ArrayLike<number>,
  seqStart: ArrayLike<number>,
  shape: AttentionRefShape,
): { dQ: Float64Array; dK: Float64Array; dV: Float64Array } {
  const { T, Tk, Hq, Hkv, D, scale } = shape;
  const dQ = new Float64Array(T * Hq * D);
  const dK = new Float64Array(Tk * Hkv * D);
  const dV = new Float64Array(Tk * Hkv * D);
  for (let i = 0; i < T; i++) {
    const [first, last] = visibleKeys(shape, seqStart, i);
    for (let h = 0; h < Hq; h++) {
      const hk = Math.floor(h / (Hq / Hkv));
      const qi = (i * Hq + h) * D;
      const { p } = rowProbabilities(shape, q, k, i, h, first, last);
      const dP = new Float64Array(p.length);
      let weighted = 0;
      for (let j = 0; j < p.length; j++) {
        const kj = ((first + j) * Hkv + hk) * D;
        for (let d = 0; d < D; d++) {
          dP[j] += dOut[qi + d] * v[kj + d];
          dV[kj + d] += p[j] * dOut[qi + d];
        }
        weighted += p[j] * dP[j];
      }
      for (let j = 0; j < p.length; j++) {
        const kj = ((first + j) * Hkv + hk) * D;
        const dS = p[j] * (dP[j] - weighted);
        for (let d = 0; d < D; d++) {
          dQ[qi + d] += scale * dS * k[kj + d];
          dK[kj + d] += scale * dS * q[qi + d];
        }
      }
    }
  }
  return { dQ, dK, dV };
}

/** seqStart for sequences of the given lengths packed back to back (keys and queries aligned, qOffset = 0). */
export function packedSeqStart(lengths: readonly number[]): Uint32Array {
  const out = new Uint32Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const n of lengths) {
    out.fill(at, at, at + n);
    at += n;
  }
  return out;
}
