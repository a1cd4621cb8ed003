/**
 * The buffers one transformer block reads and writes (llm.c's ActivationTensors, one layer's share), planned for
 * T = maxTokens rows and seen through [T, ...] views. The training step keeps one set per layer (or one shared
 * set with checkpointing) for its backward; the inference forward plans one set for its chunk and shares the
 * two norms' outputs, since nothing reads them after the next projection.
 * Shapes: C hidden, F intermediate, Hq/Hkv heads, D head dim, r LoRA rank.
 */
import type { LoraTarget } from '../../model/lora-targets';
import type { Tensor } from '../tensor';
import type { GpuModelConfig } from './weights';

/** What one layer's forward leaves for its backward. */
export interface LayerActivations {
  rstd1: Tensor; // [T]
  n1: Tensor; // [T, C] attention-norm output, input of q/k/v
  qPre: Tensor | null; // [T, Hq·D] q before Qwen3's q-norm
  kPre: Tensor | null; // [T, Hkv·D]
  qRstd: Tensor | null; // [T·Hq]
  kRstd: Tensor | null; // [T·Hkv]
  q: Tensor; // [T, Hq·D] after norm and RoPE
  k: Tensor; // [T, Hkv·D]
  v: Tensor; // [T, Hkv·D]
  attn: Tensor; // [T, Hq·D]
  lse: Tensor; // [Hq, T]
  xMid: Tensor; // [T, C] residual after attention
  rstd2: Tensor; // [T]
  n2: Tensor; // [T, C]
  gate: Tensor; // [T, F]
  up: Tensor; // [T, F]
  act: Tensor; // [T, F]
  /** x·Aᵀ of each adapted projection, at least [T·r] (seen as [T, r] with the projection's rank). */
  u: Partial<Record<LoraTarget, Tensor>>;
}

/** The backward's scratch, one set for all layers. */
export interface GradientScratch {
  dX: Tensor; // [T, C] gradient of the residual stream
  dN: Tensor; // [T, C]
  dAttn: Tensor; // [T, Hq·D]
  dQ: Tensor; // [T, Hq·D]
  dK: Tensor; // [T, Hkv·D]
  dV: Tensor; // [T, Hkv·D]
  dQPre: Tensor | null; // [T, Hq·D] (Qwen3)
  dKPre: Tensor | null;
  dGate: Tensor; // [T, F]
  dUp: Tensor; // [T, F]
  dAct: Tensor; // [T, F]
  du: Tensor | null; // [T, r]
  attnStats: Tensor; // [Hq, T, 2]
}

/**
 * One layer's buffers for t rows, made with `f32` (which the caller uses to count them). `sharedNorms`: the MLP's
 * norm reuses the attention norm's buffers (forward only).
 */
export function planLayerActivations(
  f32: (shape: number[], label: string) => Tensor,
  c: GpuModelConfig,
  t: number,
  label: string,
  u: Partial<Record<LoraTarget, Tensor>>,
  options: { sharedNorms?: boolean } = {},
): LayerActivations {
  const qDim = c.numHeads * c.headDim;
  const kvDim = c.numKvHeads * c.headDim;
  const qk = c.qkNorm;
  const rstd1 = f32([t], `${label}.rstd1`);
  const n1 = f32([t, c.hiddenSize], `${label}.n1`);
  return {
    rstd1,
    n1,
    qPre: qk ? f32([t, qDim], `${label}.qPre`) : null,
    kPre: qk ? f32([t, kvDim], `${label}.kPre`) : null,
    qRstd: qk ? f32([t * c.numHeads], `${label}.qRstd`) : null,
    kRstd: qk ? f32([t * c.numKvHeads], `${label}.kRstd`) : null,
    q: f32([t, qDim], `${label}.q`),
    k: f32([t, kvDim], `${label}.k`),
    v: f32([t, kvDim], `${label}.v`),
    attn: f32([t, qDim], `${label}.attn`),
    lse: f32([c.numHeads, t], `${label}.lse`),
    xMid: f32([t, c.hiddenSize], `${label}.xMid`),
    rstd2: options.sharedNorms ? rstd1 : f32([t], `${label}.rstd2`),
    n2: options.sharedNorms ? n1 : f32([t, c.hiddenSize], `${label}.n2`),
    gate: f32([t, c.intermediateSize], `${label}.gate`),
    up: f32([t, c.intermediateSize], `${label}.up`),
    act: f32([t, c.intermediateSize], `${label}.act`),
    u,
  };
}
