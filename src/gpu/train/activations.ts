/**
 * Activation and gradient buffers of a training step, planned once for the largest batch (T = maxTokens) and
 * reused every step (llm.c's ActivationTensors). Per layer we keep what its backward pass reads. With
 * gradient checkpointing only each layer's input residual is kept per layer; everything else lives in one
 * shared slot that the backward pass refills by re-running that layer's forward.
 */
import type { GpuContext } from '../context';
import type { Tensor } from '../tensor';
import type { GpuModelConfig } from '../model/weights';

/** What one layer's forward leaves for its backward. Shapes with T = maxTokens, r = LoRA rank. */
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
  /** x·Aᵀ [T, r] of each adapted projection. */
  u: Record<string, Tensor>;
}

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

export interface ActivationPlan {
  maxTokens: number;
  rank: number;
  /** Projections that carry an adapter (their u buffers are kept). */
  adapted: readonly string[];
  checkpointing: boolean;
}

export class TrainingActivations {
  /** Residual stream: xs[i] is layer i's input, xs[L] the last layer's output. Always one per layer. */
  readonly xs: Tensor[];
  readonly layers: LayerActivations[];
  readonly grads: GradientScratch;
  readonly final: { rstd: Tensor; normed: Tensor; dNormed: Tensor; losses: Tensor };
  readonly ids: Tensor; // [T] u32
  readonly labels: Tensor; // [T] i32
  readonly positions: Tensor; // [T] u32
  readonly seqStart: Tensor; // [T] u32
  private readonly all: Tensor[] = [];

  constructor(
    private readonly ctx: GpuContext,
    readonly config: GpuModelConfig,
    readonly plan: ActivationPlan,
  ) {
    const c = config;
    const t = plan.maxTokens;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const f32 = (shape: number[], label: string) => this.track(ctx.tensor(shape, 'f32', label));
    const qk = c.qkNorm;
    const slot = (i: number): LayerActivations => ({
      rstd1: f32([t], `l${i}.rstd1`),
      n1: f32([t, c.hiddenSize], `l${i}.n1`),
      qPre: qk ? f32([t, qDim], `l${i}.qPre`) : null,
      kPre: qk ? f32([t, kvDim], `l${i}.kPre`) : null,
      qRstd: qk ? f32([t * c.numHeads], `l${i}.qRstd`) : null,
      kRstd: qk ? f32([t * c.numKvHeads], `l${i}.kRstd`) : null,
      q: f32([t, qDim], `l${i}.q`),
      k: f32([t, kvDim], `l${i}.k`),
      v: f32([t, kvDim], `l${i}.v`),
      attn: f32([t, qDim], `l${i}.attn`),
      lse: f32([c.numHeads, t], `l${i}.lse`),
      xMid: f32([t, c.hiddenSize], `l${i}.xMid`),
      rstd2: f32([t], `l${i}.rstd2`),
      n2: f32([t, c.hiddenSize], `l${i}.n2`),
      gate: f32([t, c.intermediateSize], `l${i}.gate`),
      up: f32([t, c.intermediateSize], `l${i}.up`),
      act: f32([t, c.intermediateSize], `l${i}.act`),
      u: Object.fromEntries(plan.adapted.map((p) => [p, f32([t, plan.rank], `l${i}.u_${p}`)])),
    });
    this.xs = Array.from({ length: c.numLayers + 1 }, (_, i) => f32([t, c.hiddenSize], `x${i}`));
    if (plan.checkpointing) {
      const shared = slot(0);
      this.layers = Array.from({ length: c.numLayers }, () => shared);
    } else {
      this.layers = Array.from({ length: c.numLayers }, (_, i) => slot(i));
    }
    this.grads = {
      dX: f32([t, c.hiddenSize], 'dX'),
      dN: f32([t, c.hiddenSize], 'dN'),
      dAttn: f32([t, qDim], 'dAttn'),
      dQ: f32([t, qDim], 'dQ'),
      dK: f32([t, kvDim], 'dK'),
      dV: f32([t, kvDim], 'dV'),
      dQPre: qk ? f32([t, qDim], 'dQPre') : null,
      dKPre: qk ? f32([t, kvDim], 'dKPre') : null,
      dGate: f32([t, c.intermediateSize], 'dGate'),
      dUp: f32([t, c.intermediateSize], 'dUp'),
      dAct: f32([t, c.intermediateSize], 'dAct'),
      du: plan.adapted.length ? f32([t, plan.rank], 'du') : null,
      attnStats: f32([c.numHeads, t, 2], 'attnStats'),
    };
    this.final = {
      rstd: f32([t], 'final.rstd'),
      normed: f32([t, c.hiddenSize], 'final.normed'),
      dNormed: f32([t, c.hiddenSize], 'final.dNormed'),
      losses: f32([t], 'final.losses'),
    };
    this.ids = this.track(ctx.tensor([t], 'u32', 'ids'));
    this.labels = this.track(ctx.tensor([t], 'i32', 'labels'));
    this.positions = this.track(ctx.tensor([t], 'u32', 'positions'));
    this.seqStart = this.track(ctx.tensor([t], 'u32', 'seqStart'));
  }

  /** Bytes of all activation and gradient buffers. */
  get bytes(): number {
    return this.all.reduce((s, t) => s + t.byteSize, 0);
  }

  release(): void {
    for (const t of this.all) this.ctx.release(t);
    this.all.length = 0;
  }

  private track(t: Tensor): Tensor {
    this.all.push(t);
    return t;
  }
}
