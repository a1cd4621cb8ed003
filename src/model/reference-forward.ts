/**
 * A plain-TypeScript forward pass of the Llama family (Llama 2/3, Mistral, SmolLM, Qwen2 biases, Qwen3 q/k norms),
 * the CPU reference the GPU model is checked against. Dense f32 weights in nn.Linear layout ([out, in]);
 * quantized checkpoints are dequantized before they get here. Accumulates in float64.
 */
import type { ModelConfig } from './config';
import { linear, packedAttention, rmsnorm, ropeAt } from './reference-ops';
import { ropeInverseFrequencies } from './rope-frequencies';

/** The config fields the forward pass needs. */
export type ForwardConfig = Pick<
  ModelConfig,
  | 'hiddenSize'
  | 'intermediateSize'
  | 'numLayers'
  | 'numHeads'
  | 'numKvHeads'
  | 'headDim'
  | 'vocabSize'
  | 'rmsNormEps'
  | 'ropeTheta'
  | 'ropeScaling'
  | 'ropeLayout'
>;

/** The host weight field of each projection. */
export const HOST_FIELDS = { q: 'wq', k: 'wk', v: 'wv', o: 'wo', gate: 'wGate', up: 'wUp', down: 'wDown' } as const;

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

/** Logits [T, V] for a token sequence (no KV cache: the whole sequence at once). */
export function referenceForward(cfg: ForwardConfig, w: HostWeights, tokens: readonly number[]): Float32Array {
  const t = tokens.length;
  // One sequence: positions 0..T-1, every query may see keys from slot 0 on.
  const positions = Array.from({ length: t }, (_, i) => i);
  const seqStart = new Array<number>(t).fill(0);
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
    ropeAt(q, positions, hq, d, invFreq, cfg.ropeLayout);
    ropeAt(k, positions, hkv, d, invFreq, cfg.ropeLayout);
    const att = packedAttention(q, k, v, seqStart, hq, hkv, d);
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
