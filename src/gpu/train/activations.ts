/**
 * Activation and gradient buffers of a training step, planned once for the largest batch (T = maxTokens) and
 * reused every step (llm.c's ActivationTensors). Per layer we keep what its backward pass reads. With
 * gradient checkpointing only each layer's input residual is kept per layer; everything else lives in one
 * shared slot that the backward pass refills by re-running that layer's forward. A forward-only plan (loss
 * evaluation) keeps one residual buffer that every block updates in place, one shared slot and no gradients.
 */
import type { GpuContext } from '../context';
import type { Tensor } from '../tensor';
import { planLayerActivations, type GradientScratch, type LayerActivations } from '../model/block-activations';
import type { GpuModelConfig } from '../model/weights';
import { LORA_TARGETS, type LoraTarget } from '../../model/lora-targets';
import type { LayerProjections } from '../lora/adapted-linear';

/** What the adapted projections keep and need: floats per token kept per projection, and backward scratch. */
export interface AdapterBuffers {
  /** Per adapted projection, floats per token its forward keeps for its backward (LoRA's u: r). */
  saved: Partial<Record<LoraTarget, number>>;
  /** Per adapted projection whose forward only needs scratch (IA³'s scaled input): one buffer all layers share. */
  transient: Partial<Record<LoraTarget, number>>;
  /** Floats per token of the backward's scratch, the widest any projection needs (LoRA's du: r). */
  scratchWidth: number;
}

/** The widest each projection's buffers must be across the layers. */
export function adapterBuffers(layers: readonly LayerProjections[]): AdapterBuffers {
  const saved: Partial<Record<LoraTarget, number>> = {};
  const transient: Partial<Record<LoraTarget, number>> = {};
  let scratchWidth = 0;
  for (const layer of layers) {
    for (const target of LORA_TARGETS) {
      const p = layer[target];
      const into = p.keepsSaved ? saved : transient;
      if (p.savedWidth > 0) into[target] = Math.max(into[target] ?? 0, p.savedWidth);
      scratchWidth = Math.max(scratchWidth, p.scratchWidth);
    }
  }
  return { saved, transient, scratchWidth };
}

export interface ActivationPlan extends AdapterBuffers {
  maxTokens: number;
  checkpointing: boolean;
  /** Evaluation: no backward will run, so nothing is kept per layer and no gradient scratch is made. */
  forwardOnly?: boolean;
}

export class TrainingActivations {
  /** Residual stream: xs[i] is layer i's input, xs[L] the last layer's output. Always one per layer. */
  readonly xs: Tensor[];
  readonly layers: LayerActivations[];
  /** Null for a forward-only plan. */
  readonly grads: GradientScratch | null;
  readonly final: { rstd: Tensor; normed: Tensor; dNormed: Tensor | null; losses: Tensor };
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
    const forwardOnly = plan.forwardOnly ?? false;
    // Forward only, what every adapted projection keeps is consumed at once, so they share one buffer; so does, in
    // training too, what a projection writes only for its own forward (IA³'s scaled input).
    const adapted = Object.entries(plan.saved) as [LoraTarget, number][];
    const transient = Object.entries(plan.transient) as [LoraTarget, number][];
    const widest = (entries: [LoraTarget, number][]) => Math.max(0, ...entries.map(([, w]) => w));
    const sharedU = forwardOnly && (adapted.length || transient.length) ? f32([t, widest([...adapted, ...transient])], 'u') : null;
    const sharedScratch = sharedU ?? (transient.length ? f32([t, widest(transient)], 'u_transient') : null);
    const uBuffers = (i: number) =>
      Object.fromEntries([
        ...adapted.map(([p, width]) => [p, sharedU ?? f32([t, width], `l${i}.u_${p}`)]),
        ...transient.map(([p]) => [p, sharedScratch!]),
      ]);
    const slot = (i: number): LayerActivations =>
      planLayerActivations(f32, c, t, `l${i}`, uBuffers(i), { sharedNorms: forwardOnly });
    if (forwardOnly) {
      const x = f32([t, c.hiddenSize], 'x');
      this.xs = Array.from({ length: c.numLayers + 1 }, () => x);
    } else {
      this.xs = Array.from({ length: c.numLayers + 1 }, (_, i) => f32([t, c.hiddenSize], `x${i}`));
    }
    if (plan.checkpointing || forwardOnly) {
      const shared = slot(0);
      this.layers = Array.from({ length: c.numLayers }, () => shared);
    } else {
      this.layers = Array.from({ length: c.numLayers }, (_, i) => slot(i));
    }
    this.grads = forwardOnly
      ? null
      : {
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
          du: plan.scratchWidth > 0 ? f32([t, plan.scratchWidth], 'du') : null,
          attnStats: f32([c.numHeads, t, 2], 'attnStats'),
        };
    this.final = {
      rstd: f32([t], 'final.rstd'),
      normed: f32([t, c.hiddenSize], 'final.normed'),
      dNormed: forwardOnly ? null : f32([t, c.hiddenSize], 'final.dNormed'),
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
