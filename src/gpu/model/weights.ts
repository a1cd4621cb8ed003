/**
 * The model's frozen parameters on the GPU, one struct of tensors (llm.c's ParameterTensors), and the config
 * the forward pass reads. Shapes use C = hidden size, F = intermediate size, Hq/Hkv heads, D head dim, V vocab.
 */
import type { ForwardConfig } from '../../model/reference-forward';
import type { Tensor } from '../tensor';
import type { LinearLayer } from './linear';

export interface GpuModelConfig extends ForwardConfig {
  contextLength: number;
}

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
  tokenEmbedding: Tensor; // [V, C] f32
  layers: GpuLayerWeights[];
  outputNorm: Tensor; // [C]
  /** LM head [V, C]; the embedding itself when tied. */
  output: LinearLayer;
}

/** Every tensor in the weights, for byte counts and hashing. */
export function weightTensors(w: GpuModelWeights): Tensor[] {
  const out: Tensor[] = [w.tokenEmbedding, w.outputNorm];
  if (w.output.weight !== w.tokenEmbedding) out.push(w.output.weight);
  for (const l of w.layers) {
    out.push(l.attnNorm, l.ffnNorm);
    if (l.qNorm) out.push(l.qNorm);
    if (l.kNorm) out.push(l.kNorm);
    for (const lin of [l.q, l.k, l.v, l.o, l.gate, l.up, l.down]) {
      out.push(lin.weight);
      if (lin.bias) out.push(lin.bias);
    }
  }
  return out;
}
