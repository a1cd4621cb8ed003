/**
 * The float64 building blocks of the CPU reference forward passes (reference-forward.ts for inference logits,
 * reference-lora.ts for the LoRA training objective): one copy of each, so both references compute exactly the
 * same thing and a fix to one is a fix to both.
 */

/** y [rows, out] = x [rows, inp]·Wᵀ + b, with W [out, inp] (nn.Linear layout). */
export function linear(x: Float64Array, rows: number, w: Float32Array, out: number, inp: number, b?: Float32Array) {
  const y = new Float64Array(rows * out);
  for (let t = 0; t < rows; t++) {
    for (let o = 0; o < out; o++) {
      let acc = b ? b[o] : 0;
      const wo = o * inp;
      const xo = t * inp;
      for (let i = 0; i < inp; i++) acc += x[xo + i] * w[wo + i];
      y[t * out + o] = acc;
    }
  }
  return y;
}

/** RMSNorm over consecutive groups of `dim` values (rows, or heads within a row). */
export function rmsnorm(x: Float64Array, dim: number, w: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
    const scale = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * scale * w[i];
  }
  return y;
}

/** Rotates every head of x [T, H, D] in place by its token's own position. */
export function ropeAt(x: Float64Array, positions: ArrayLike<number>, heads: number, d: number, invFreq: Float32Array, layout: string) {
  const half = d / 2;
  for (let p = 0; p < positions.length; p++) {
    for (let h = 0; h < heads; h++) {
      const base = (p * heads + h) * d;
      for (let i = 0; i < half; i++) {
        const angle = positions[p] * invFreq[i];
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const a = layout === 'half' ? base + i : base + 2 * i;
        const b = layout === 'half' ? base + i + half : base + 2 * i + 1;
        const x0 = x[a];
        const x1 = x[b];
        x[a] = x0 * c - x1 * s;
        x[b] = x0 * s + x1 * c;
      }
    }
  }
}

/** Causal GQA attention inside each packed sequence: query i sees keys seqStart[i]..i. q [T,Hq,D], k/v [T,Hkv,D]. */
export function packedAttention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  seqStart: ArrayLike<number>,
  hq: number,
  hkv: number,
  d: number,
): Float64Array {
  const t = seqStart.length;
  const out = new Float64Array(t * hq * d);
  const group = hq / hkv;
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(t);
  for (let h = 0; h < hq; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < t; i++) {
      let max = -Infinity;
      for (let j = seqStart[i]; j <= i; j++) {
        let s = 0;
        for (let e = 0; e < d; e++) s += q[(i * hq + h) * d + e] * k[(j * hkv + kh) * d + e];
        scores[j] = s * scale;
        max = Math.max(max, scores[j]);
      }
      let sum = 0;
      for (let j = seqStart[i]; j <= i; j++) sum += (scores[j] = Math.exp(scores[j] - max));
      for (let j = seqStart[i]; j <= i; j++) {
        const p = scores[j] / sum;
        for (let e = 0; e < d; e++) out[(i * hq + h) * d + e] += p * v[(j * hkv + kh) * d + e];
      }
    }
  }
  return out;
}
