/**
 * The model's frozen parameters on the GPU, one struct of tensors (llm.c's ParameterTensors), and the config
 * the forward pass reads. Shapes use C = hidden size, F = intermediate size, Hq/Hkv heads, D head dim, V vocab.
 */
import type { ModelConfig } from '../../model/config';
import type { GpuContext } from '../context';
import type { Tensor } from '../tensor';
import { HostEmbedding } from './host-embedding';
import { type FrozenWeight, linearBytes, releaseFrozen, releaseLinear, type LinearLayer } from './linear';

export type GpuModelConfig = ModelConfig;

export interface GpuLayerWeights {
  attnNorm: Tensor; // [C]
  q: LinearLayer; // [Hq·D, C] (+ bias [Hq·D] for Qwen2)
  k: LinearLayer; // [Hkv·D, C]
  v: LinearLayer; // [Hkv·D, C]
  o: LinearLayer; // [C, Hq·D]
  qNorm?: Tensor; // [D] (Qwen3)
  kNorm?: Tensor; // [D]
  ffnNorm: Tensor; // [C]
  gate: LinearLayer; // [F, C]
  up: LinearLayer; // [F, C]
  down: LinearLayer; // [C, F]
}

export interface GpuModelWeights {
  /**
   * [V, C]: f32, or kept in its file's format (F16, BF16, Q8_0, …) and decoded as rows are gathered; on the host
   * when the head is untied (the GPU then never reads the table whole).
   */
  tokenEmbedding: FrozenWeight | HostEmbedding;
  layers: GpuLayerWeights[];
  outputNorm: Tensor; // [C]
  /** LM head [V, C]; the embedding itself when tied. */
  output: LinearLayer;
}

function layerParts(w: GpuModelWeights): { tensors: Tensor[]; linears: LinearLayer[] } {
  const tensors: Tensor[] = [w.outputNorm];
  const linears: LinearLayer[] = w.output.weight === w.tokenEmbedding ? [] : [w.output];
  for (const l of w.layers) {
    tensors.push(l.attnNorm, l.ffnNorm);
    if (l.qNorm) tensors.push(l.qNorm);
    if (l.kNorm) tensors.push(l.kNorm);
    linears.push(l.q, l.k, l.v, l.o, l.gate, l.up, l.down);
  }
  return { tensors, linears };
}

/** GPU bytes of all frozen weights. */
export function weightBytes(w: GpuModelWeights): number {
  const { tensors, linears } = layerParts(w);
  const dense = tensors.reduce((s, t) => s + t.byteSize, 0) + linears.reduce((s, l) => s + linearBytes(l), 0);
  return dense + w.tokenEmbedding.byteSize; // 0 for a table on the host
}

/** Returns every weight buffer to the allocator. */
export function releaseWeights(ctx: GpuContext, w: GpuModelWeights): void {
  const { tensors, linears } = layerParts(w);
  for (const t of tensors) ctx.release(t);
  for (const l of linears) releaseLinear(ctx, l);
  if (!(w.tokenEmbedding instanceof HostEmbedding)) releaseFrozen(ctx, w.tokenEmbedding);
}
