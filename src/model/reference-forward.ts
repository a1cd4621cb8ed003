/**
 * A plain-TypeScript forward pass of the Llama family (Llama 2/3, Mistral, SmolLM, Qwen2 biases, Qwen3 q/k norms),
 * the CPU reference the GPU model is checked against. Dense f32 weights in nn.Linear layout ([out, in]);
 * quantized checkpoints are dequantized before they get here. Accumulates in float64.
 */
import { ropeInverseFrequencies, type Llama3RopeScaling } from './rope-frequencies';

/** The config fields the forward pass needs (a structural subset of ModelConfig). */
export interface ForwardConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  ropeLayout: 'half' | 'interleaved';
}

export interface HostLayerWeights {
  attnNorm: Float32Array; // [C]
  wq: Float32Array; // [Hq·D, C]
  wk: Float32Array; // [Hkv·D, C]
  wv: Float32Array; // [Hkv·D, C]
  wo: Float32Array; // [C, Hq·D]
  bq?: Float32Array; // [Hq·D] (Qwen2)
  bk?: Float32Array;
  bv?: Float32Array;
  qNorm?: Float32Array; // [D] (Qwen3: RMSNorm of each head before RoPE)
  kNorm?: Float32Array;
  ffnNorm: Float32Array; // [C]
  wGate: Float32Array; // [F, C]
  wUp: Float32Array; // [F, C]
  wDown: Float32Array; // [C, F]
}

export interface HostWeights {
  tokenEmbedding: Float32Array; // [V, C]
  layers: HostLayerWeights[];
  outputNorm: Float32Array; // [C]
  /** [V, C]; absent when the head is tied to the embedding. */
  output?: Float32Array;
}

function linear(x: Float64Array, rows: number, w: Float32Array, out: number, inp: number, b?: Float32Array) {
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
function rmsnorm(x: Float64Array, dim: number, w: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[r * dim + i] ** 2;
    const scale = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * scale * w[i];
  }
  return y;
}

/** Rotates every head of x [T, H, D] in place; positions are 0..T-1 offset by `start`. */
function rope(x: Float64Array, t: number, heads: number, d: number, invFreq: Float32Array, layout: string, start = 0) {
  const half = d / 2;
  for (let p = 0; p < t; p++) {
    for (let h = 0; h < heads; h++) {
      const base = (p * heads + h) * d;
      for (let i = 0; i < half; i++) {
        const angle = (start + p) * invFreq[i];
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

/** Causal GQA attention: q [T, Hq, D], k/v [T, Hkv, D] → [T, Hq, D]. */
function attention(q: Float64Array, k: Float64Array, v: Float64Array, t: number, hq: number, hkv: number, d: number) {
  const out = new Float64Array(t * hq * d);
  const group = hq / hkv;
  const scale = 1 / Math.sqrt(d);
  const scores = new Float64Array(t);
  for (let h = 0; h < hq; h++) {
    const kh = Math.floor(h / group);
    for (let i = 0; i < t; i++) {
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let e = 0; e < d; e++) s += q[(i * hq + h) * d + e] * k[(j * hkv + kh) * d + e];
        scores[j] = s * scale;
        max = Math.max(max, scores[j]);
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += (scores[j] = Math.exp(scores[j] - max));
      for (let j = 0; j <= i; j++) {
        const p = scores[j] / sum;
        for (let e = 0; e < d; e++) out[(i * hq + h) * d + e] += p * v[(j * hkv + kh) * d + e];
      }
    }
  }
  return out;
}

/** Logits [T, V] for a token sequence (no KV cache: the whole sequence at once). */
export function referenceForward(cfg: ForwardConfig, w: HostWeights, tokens: readonly number[]): Float32Array {
  const t = tokens.length;
  const { hiddenSize: c, intermediateSize: f, numHeads: hq, numKvHeads: hkv, headDim: d, vocabSize: vocab } = cfg;
  const invFreq = ropeInverseFrequencies(d, cfg.ropeTheta, cfg.ropeScaling);
  let x: Float64Array = new Float64Array(t * c);
  tokens.forEach((id, p) => {
    for (let i = 0; i < c; i++) x[p * c + i] = w.tokenEmbedding[id * c + i];
  });
  for (const l of w.layers) {
    const xn = rmsnorm(x, c, l.attnNorm, cfg.rmsNormEps);
    let q: Float64Array = linear(xn, t, l.wq, hq * d, c, l.bq);
    let k: Float64Array = linear(xn, t, l.wk, hkv * d, c, l.bk);
    const v = linear(xn, t, l.wv, hkv * d, c, l.bv);
    if (l.qNorm) q = rmsnorm(q, d, l.qNorm, cfg.rmsNormEps);
    if (l.kNorm) k = rmsnorm(k, d, l.kNorm, cfg.rmsNormEps);
    rope(q, t, hq, d, invFreq, cfg.ropeLayout);
    rope(k, t, hkv, d, invFreq, cfg.ropeLayout);
    const att = attention(q, k, v, t, hq, hkv, d);
    const o = linear(att, t, l.wo, c, hq * d);
    for (let i = 0; i < x.length; i++) x[i] += o[i];
    const hn = rmsnorm(x, c, l.ffnNorm, cfg.rmsNormEps);
    const gate = linear(hn, t, l.wGate, f, c);
    const up = linear(hn, t, l.wUp, f, c);
    for (let i = 0; i < gate.length; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
    const down = linear(gate, t, l.wDown, c, f);
    for (let i = 0; i < x.length; i++) x[i] += down[i];
  }
  x = rmsnorm(x, c, w.outputNorm, cfg.rmsNormEps);
  return Float32Array.from(linear(x, t, w.output ?? w.tokenEmbedding, vocab, c));
}
