/**
 * The CPU reference of a LoRA training step's objective: the Llama-family forward pass over a packed,
 * padding-free batch (several sequences end to end, each with its own RoPE positions and its own causal window),
 * with LoRA (or DoRA) adapters or IA³ vectors on any of q, k, v, o, gate, up, down, and the causal-LM loss summed over the trained targets
 * (targets < 0 are ignored). Everything in float64, so central finite differences of `referenceLoraLoss` are the
 * ground truth the GPU's hand-written backward is checked against. Dense f32 base weights in nn.Linear layout
 * ([out, in]); quantized checkpoints are dequantized before they get here.
 */
import type { ForwardConfig, HostLayerWeights, HostWeights } from './reference-forward';
import { linear, packedAttention, rmsnorm, ropeAt } from './reference-ops';
import type { LoraTarget } from './lora-targets';
import { ropeInverseFrequencies } from './rope-frequencies';

/**
 * One adapter: y += scale·(x·Aᵀ)·Bᵀ; with `magnitude`, DoRA (Liu et al. 2024):
 * y = (m / ‖W + scale·B·A‖) ⊙ (x·Wᵀ + scale·(x·Aᵀ)·Bᵀ) + b, the norm taken per output row. Float64Array lets finite
 * differences perturb entries exactly.
 */
export interface HostLoraAdapter {
  a: ArrayLike<number>; // [r, in]
  b: ArrayLike<number>; // [out, r]
  rank: number;
  scale: number;
  magnitude?: ArrayLike<number>; // [out]
  /**
   * DoRA's row norms held fixed instead of computed from W, A and B: the norm is detached in training (a constant
   * of the step), so finite differences of the trained gradient hold it at the step's value.
   */
  norms?: ArrayLike<number>; // [out]
}

/** DoRA's ‖W_j + scale·B_j·A‖ for every output row j of W [out, in]. */
export function doraRowNorms(w: ArrayLike<number>, lora: HostLoraAdapter, out: number, inp: number): Float64Array {
  const norms = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let sum = 0;
    for (let i = 0; i < inp; i++) {
      let delta = 0;
      for (let j = 0; j < lora.rank; j++) delta += lora.b[o * lora.rank + j] * lora.a[j * inp + i];
      const v = w[o * inp + i] + lora.scale * delta;
      sum += v * v;
    }
    norms[o] = Math.sqrt(sum);
  }
  return norms;
}

/**
 * One IA³ vector (Liu et al. 2022, as PEFT's IA3 Linear applies it): y = (x·Wᵀ + b) ⊙ l on the output side,
 * y = (x ⊙ l)·Wᵀ + b on the input side (PEFT's feed-forward modules).
 */
export interface HostIa3Adapter {
  l: ArrayLike<number>; // [out] or [in]
  side: 'output' | 'input';
}

export type HostLayerAdapters = Partial<Record<LoraTarget, HostLoraAdapter | HostIa3Adapter>>;

/** The fields of a TokenBatch (src/data/batch-types.ts) the reference reads. */
export interface PackedBatch {
  tokens: ArrayLike<number>; // [T]
  targets: ArrayLike<number>; // [T], < 0 = not trained
  positions: ArrayLike<number>; // [T], RoPE position inside the token's sequence
  seqStart: ArrayLike<number>; // [T], slot of the first token of the token's sequence
}

export interface ReferenceLoss {
  /** Σ over trained slots of −log softmax(logits)[target]. */
  lossSum: number;
  trainedTokens: number;
}

/** y [T, out] = x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ (DoRA: the same without b, scaled per row by m/‖·‖, then + b). */
function adaptedLinear(
  x: Float64Array,
  t: number,
  w: Float32Array,
  out: number,
  inp: number,
  bias: Float32Array | undefined,
  adapter: HostLoraAdapter | HostIa3Adapter | undefined,
): Float64Array {
  if (adapter && 'l' in adapter) {
    const { l, side } = adapter;
    if (side === 'input') return linear(x.map((v, i) => v * l[i % inp]), t, w, out, inp, bias);
    return linear(x, t, w, out, inp, bias).map((v, i) => v * l[i % out]);
  }
  const lora = adapter;
  const dora = lora?.magnitude !== undefined;
  const y = linear(x, t, w, out, inp, dora ? undefined : bias);
  if (!lora) return y;
  const rank = lora.rank;
  const u = new Float64Array(rank);
  for (let r = 0; r < t; r++) {
    for (let j = 0; j < rank; j++) {
      let acc = 0;
      for (let i = 0; i < inp; i++) acc += x[r * inp + i] * lora.a[j * inp + i];
      u[j] = acc;
    }
    for (let o = 0; o < out; o++) {
      let acc = 0;
      for (let j = 0; j < rank; j++) acc += u[j] * lora.b[o * rank + j];
      y[r * out + o] += lora.scale * acc;
    }
  }
  if (!lora.magnitude) return y;
  const m = lora.magnitude;
  const norms = lora.norms ?? doraRowNorms(w, lora, out, inp);
  return y.map((v, i) => (m[i % out] / norms[i % out]) * v + (bias ? bias[i % out] : 0));
}

function layerForward(
  cfg: ForwardConfig,
  l: HostLayerWeights,
  ad: HostLayerAdapters,
  x: Float64Array,
  batch: PackedBatch,
  invFreq: Float32Array,
): void {
  const t = batch.tokens.length;
  const { hiddenSize: c, intermediateSize: f, numHeads: hq, numKvHeads: hkv, headDim: d } = cfg;
  const xn = rmsnorm(x, c, l.attnNorm, cfg.rmsNormEps);
  let q = adaptedLinear(xn, t, l.wq, hq * d, c, l.bq, ad.q);
  let k = adaptedLinear(xn, t, l.wk, hkv * d, c, l.bk, ad.k);
  const v = adaptedLinear(xn, t, l.wv, hkv * d, c, l.bv, ad.v);
  if (l.qNorm) q = rmsnorm(q, d, l.qNorm, cfg.rmsNormEps);
  if (l.kNorm) k = rmsnorm(k, d, l.kNorm, cfg.rmsNormEps);
  ropeAt(q, batch.positions, hq, d, invFreq, cfg.ropeLayout);
  ropeAt(k, batch.positions, hkv, d, invFreq, cfg.ropeLayout);
  const att = packedAttention(q, k, v, batch.seqStart, hq, hkv, d);
  const o = adaptedLinear(att, t, l.wo, c, hq * d, undefined, ad.o);
  for (let i = 0; i < x.length; i++) x[i] += o[i];
  const hn = rmsnorm(x, c, l.ffnNorm, cfg.rmsNormEps);
  const gate = adaptedLinear(hn, t, l.wGate, f, c, undefined, ad.gate);
  const up = adaptedLinear(hn, t, l.wUp, f, c, undefined, ad.up);
  for (let i = 0; i < gate.length; i++) gate[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
  const down = adaptedLinear(gate, t, l.wDown, c, f, undefined, ad.down);
  for (let i = 0; i < x.length; i++) x[i] += down[i];
}

/** Prompt tuning's virtual tokens: the slots at positions < P embed as the prompt's rows [P, C]. */
export interface HostPrompt {
  virtualTokens: number;
  embeddings: ArrayLike<number>;
}

/**
 * Summed causal-LM loss of a packed batch through the base model with adapters (adapters[i] for layer i; an
 * empty object or a missing entry means no adapter there), or a prompt. `invFreq` overrides the config's RoPE
 * frequencies (GGUF files may carry their own).
 */
export function referenceLoraLoss(
  cfg: ForwardConfig,
  w: HostWeights,
  adapters: readonly HostLayerAdapters[],
  batch: PackedBatch,
  invFreq: Float32Array = ropeInverseFrequencies(cfg.headDim, cfg.ropeTheta, cfg.ropeScaling),
  prompt?: HostPrompt,
): ReferenceLoss {
  const t = batch.tokens.length;
  const { hiddenSize: c, vocabSize: vocab } = cfg;
  const x = new Float64Array(t * c);
  for (let p = 0; p < t; p++) {
    const position = batch.positions[p];
    const virtual = prompt && position < prompt.virtualTokens;
    const table = virtual ? prompt.embeddings : w.tokenEmbedding;
    const row = virtual ? position : batch.tokens[p];
    for (let i = 0; i < c; i++) x[p * c + i] = table[row * c + i];
  }
  w.layers.forEach((l, i) => layerForward(cfg, l, adapters[i] ?? {}, x, batch, invFreq));
  const h = rmsnorm(x, c, w.outputNorm, cfg.rmsNormEps);
  const head = w.output ?? w.tokenEmbedding;
  let lossSum = 0;
  let trainedTokens = 0;
  const logits = new Float64Array(vocab);
  for (let p = 0; p < t; p++) {
    const target = batch.targets[p];
    if (target < 0) continue;
    let max = -Infinity;
    for (let o = 0; o < vocab; o++) {
      let acc = 0;
      for (let i = 0; i < c; i++) acc += h[p * c + i] * head[o * c + i];
      logits[o] = acc;
      max = Math.max(max, acc);
    }
    let sum = 0;
    for (let o = 0; o < vocab; o++) sum += Math.exp(logits[o] - max);
    lossSum += max + Math.log(sum) - logits[target];
    trainedTokens++;
  }
  return { lossSum, trainedTokens };
}
