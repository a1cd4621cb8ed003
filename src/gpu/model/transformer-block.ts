/**
 * One transformer block of the Llama family, forward and backward side by side (llm.c style), over T tokens
 * (T ≤ the rows every buffer was planned for: each is seen through a [T, ...] view). The same forward runs
 * inference (LlamaModel, with its KV cache: keys and values of earlier positions are read from the cache and this
 * chunk's are written into it) and training (LoraTrainer, over a packed batch, keeping what the backward reads).
 *   forward:  x → n1 = rmsnorm(x) → q,k,v (+ LoRA, + Qwen2 biases) → [Qwen3 q/k norms] → RoPE → attention
 *             → xMid = x + o(attn) → n2 = rmsnorm(xMid) → gate, up → act = silu(gate)·up → out = xMid + down(act)
 *   backward: from dX = ∂L/∂out (in grads.dX) to dX = ∂L/∂x (in place), adding the LoRA gradients of every
 *             adapted projection into the parameter block. Base weights and norms are frozen: no gradients.
 * Shapes: C hidden, F intermediate, Hq/Hkv heads, D head dim, r rank.
 */
import type { LoraTarget } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import { attentionBackward, attentionForward } from '../kernels/attention';
import { rmsnormBackward, rmsnormForward } from '../kernels/rmsnorm';
import { ropeBackward, ropeForward } from '../kernels/rope';
import { swigluBackward, swigluForward } from '../kernels/swiglu';
import type { AdapterInputMask, LayerProjections } from '../lora/adapted-linear';
import type { Tensor } from '../tensor';
import type { GradientScratch, LayerActivations } from './block-activations';
import type { GpuLayerWeights, GpuModelConfig } from './weights';

/** LoRA dropout on the adapters' inputs, per layer and target (src/gpu/train/adapter-dropout.ts). */
export interface BlockDropout {
  /** mask(x) for the forward. */
  apply(x: Tensor, layer: number, target: LoraTarget): Tensor;
  /** The same mask, for the backward. */
  site(layer: number, target: LoraTarget): AdapterInputMask;
}

/**
 * Inference's KV cache: per layer [maxContext, N·Hkv, D]; this chunk's tokens are at positions start... With
 * N `sequences` decoded in lockstep the block's T rows are T/N tokens of each, token-major, and attention sees the
 * sequences as N times the heads.
 */
export interface KvCache {
  keys: readonly Tensor[];
  values: readonly Tensor[];
  start: number;
  sequences?: number;
}

/** What every block of one forward shares. */
export interface BlockInputs {
  ctx: GpuContext;
  config: GpuModelConfig;
  tokens: number; // T
  positions: Tensor; // [T] u32
  seqStart: Tensor; // [T / sequences] u32 (one per query of the attention)
  invFreq: Tensor; // [D/2]
  /** Dropout on the adapters' inputs (training forward only); null = off. */
  dropout: BlockDropout | null;
  /** Inference only: attend to the cached positions too (T new queries at start..start+T-1). */
  kvCache?: KvCache;
}

export interface Block {
  index: number;
  weights: GpuLayerWeights;
  projections: LayerProjections;
}

/** What both directions start from: the context, the config, T, and [T, ...] views of planned buffers. */
function blockScope(b: BlockInputs, block: Block) {
  const { ctx, config: c, tokens: t } = b;
  const rows = (x: Tensor) => x.view([t, ...x.shape.slice(1)]);
  return { ctx, c, t, p: block.projections, w: block.weights, rows };
}

/** What an adapted projection keeps for its backward, [T, savedWidth] (LoRA's x·Aᵀ); null when it keeps nothing. */
function uOf(a: LayerActivations, block: Block, target: LoraTarget, tokens: number): Tensor | null {
  const u = a.u[target];
  const width = block.projections[target].savedWidth;
  return u && width > 0 ? u.view([tokens, width]) : null;
}

/** The adapter input of one projection: x itself, or a dropped-out copy when dropout is on. */
function adapterInput(b: BlockInputs, block: Block, target: LoraTarget, x: Tensor): Tensor | undefined {
  if (!b.dropout || !block.projections[target].dropsInput) return undefined;
  return b.dropout.apply(x, block.index, target);
}

/**
 * x [T, C] → out [T, C]; keeps what the backward reads in `a`. `out` may be `x` itself (inference's single
 * residual buffer): x is last read by the o projection, before `out` is written.
 */
export function blockForward(b: BlockInputs, block: Block, a: LayerActivations, x: Tensor, out: Tensor): void {
  const { ctx, c, t, p, w, rows: r } = blockScope(b, block);
  const n1 = r(a.n1);
  const q = r(a.q);
  const k = r(a.k);
  const v = r(a.v);
  const lin = (target: LoraTarget, input: Tensor, output: Tensor, residual?: Tensor) =>
    p[target].forward(ctx, input, output, uOf(a, block, target, t), {
      residual,
      adapterInput: adapterInput(b, block, target, input),
    });

  rmsnormForward(ctx, x, w.attnNorm, n1, r(a.rstd1), c.rmsNormEps);
  const qk = a.qPre && a.kPre && a.qRstd && a.kRstd && w.qNorm && w.kNorm;
  lin('q', n1, qk ? r(a.qPre!) : q);
  lin('k', n1, qk ? r(a.kPre!) : k);
  lin('v', n1, v);
  if (qk) {
    // Qwen3: RMSNorm of every head of q and k ([T·H, D] rows) before RoPE.
    const heads = (x: Tensor, h: number) => x.view([t * h, c.headDim]);
    rmsnormForward(ctx, heads(a.qPre!, c.numHeads), w.qNorm!, heads(q, c.numHeads), a.qRstd!.view([t * c.numHeads]), c.rmsNormEps);
    rmsnormForward(ctx, heads(a.kPre!, c.numKvHeads), w.kNorm!, heads(k, c.numKvHeads), a.kRstd!.view([t * c.numKvHeads]), c.rmsNormEps);
  }
  const q3 = q.view([t, c.numHeads, c.headDim]);
  const k3 = k.view([t, c.numKvHeads, c.headDim]);
  ropeForward(ctx, q3, q3, b.positions, b.invFreq, c.ropeLayout);
  ropeForward(ctx, k3, k3, b.positions, b.invFreq, c.ropeLayout);
  // Lockstep sequences are heads of their own: [T, Hq, D] rows of N sequences are [T/N, N·Hq, D].
  const n = b.kvCache?.sequences ?? 1;
  const queries = t / n;
  const hq = n * c.numHeads;
  const hkv = n * c.numKvHeads;
  let keys = k3;
  let values = v.view([t, c.numKvHeads, c.headDim]);
  let qOffset = 0;
  if (b.kvCache) {
    // This chunk's keys/values join the cache; the queries attend to every cached position before them.
    const { start } = b.kvCache;
    const cacheK = b.kvCache.keys[block.index];
    const cacheV = b.kvCache.values[block.index];
    const kvBytes = hkv * c.headDim * 4;
    ctx.copy(k, cacheK, queries * kvBytes, 0, start * kvBytes);
    ctx.copy(v, cacheV, queries * kvBytes, 0, start * kvBytes);
    keys = cacheK.view([start + queries, hkv, c.headDim]);
    values = cacheV.view([start + queries, hkv, c.headDim]);
    qOffset = start;
  }
  attentionForward(ctx, {
    q: q.view([queries, hq, c.headDim]),
    k: keys,
    v: values,
    out: a.attn.view([queries, hq, c.headDim]),
    lse: a.lse.view([hq, queries]),
    seqStart: b.seqStart,
    qOffset,
  });
  const xMid = r(a.xMid);
  lin('o', r(a.attn), xMid, x);
  const n2 = r(a.n2);
  rmsnormForward(ctx, xMid, w.ffnNorm, n2, r(a.rstd2), c.rmsNormEps);
  lin('gate', n2, r(a.gate));
  lin('up', n2, r(a.up));
  swigluForward(ctx, r(a.gate), r(a.up), r(a.act));
  lin('down', r(a.act), out, xMid);
}

/**
 * dX [T, C]: on entry ∂L/∂out, on exit ∂L/∂x. `x` is the block's input (as in the forward). Adds the LoRA
 * gradients into the parameter block. Training only (no KV cache).
 */
export function blockBackward(b: BlockInputs, block: Block, a: LayerActivations, g: GradientScratch, x: Tensor): void {
  const { ctx, c, t, p, w, rows: r } = blockScope(b, block);
  const dX = r(g.dX);
  const dN = r(g.dN);
  // Each projection's scratch (LoRA's du, IA³'s scaled-side gradient) is used up within its own backward.
  const scratch = (target: LoraTarget) => {
    const width = p[target].scratchWidth;
    return g.du && width > 0 ? g.du.view([t, width]) : null;
  };
  const lin = (target: LoraTarget, input: Tensor, dy: Tensor, dx: Tensor, accumulateDx: boolean) =>
    p[target].backward(ctx, input, uOf(a, block, target, t), dy, dx, scratch(target), {
      accumulateDx,
      dropout: b.dropout && p[target].dropsInput ? b.dropout.site(block.index, target) : undefined,
    });

  // MLP: out = xMid + down(silu(gate)·up), gate/up = n2·W.
  const dAct = r(g.dAct);
  lin('down', r(a.act), dX, dAct, false);
  swigluBackward(ctx, r(a.gate), r(a.up), dAct, r(g.dGate), r(g.dUp));
  lin('gate', r(a.n2), r(g.dGate), dN, false);
  lin('up', r(a.n2), r(g.dUp), dN, true);
  rmsnormBackward(ctx, r(a.xMid), w.ffnNorm, r(a.rstd2), dN, dX, null, { accumulateDX: true });

  // Attention: xMid = x + o(attention(rope(q), rope(k), v)).
  const dAttn = r(g.dAttn);
  lin('o', r(a.attn), dX, dAttn, false);
  const h3 = (x: Tensor, heads: number) => x.view([t, heads, c.headDim]);
  const dQ = h3(g.dQ, c.numHeads);
  const dK = h3(g.dK, c.numKvHeads);
  attentionBackward(ctx, {
    q: h3(a.q, c.numHeads),
    k: h3(a.k, c.numKvHeads),
    v: h3(a.v, c.numKvHeads),
    out: h3(a.attn, c.numHeads),
    lse: a.lse.view([c.numHeads, t]),
    dOut: h3(dAttn, c.numHeads),
    dQ,
    dK,
    dV: h3(g.dV, c.numKvHeads),
    seqStart: b.seqStart,
    stats: g.attnStats.view([c.numHeads, t, 2]),
  });
  ropeBackward(ctx, dQ, dQ, b.positions, b.invFreq, c.ropeLayout);
  ropeBackward(ctx, dK, dK, b.positions, b.invFreq, c.ropeLayout);
  let dQIn = r(g.dQ);
  let dKIn = r(g.dK);
  if (a.qPre && a.kPre && a.qRstd && a.kRstd && g.dQPre && g.dKPre && w.qNorm && w.kNorm) {
    const heads = (x: Tensor, h: number) => x.view([t * h, c.headDim]);
    const hq = c.numHeads;
    const hk = c.numKvHeads;
    rmsnormBackward(ctx, heads(a.qPre, hq), w.qNorm, a.qRstd.view([t * hq]), heads(g.dQ, hq), heads(g.dQPre, hq), null);
    rmsnormBackward(ctx, heads(a.kPre, hk), w.kNorm, a.kRstd.view([t * hk]), heads(g.dK, hk), heads(g.dKPre, hk), null);
    dQIn = r(g.dQPre);
    dKIn = r(g.dKPre);
  }
  const n1 = r(a.n1);
  lin('q', n1, dQIn, dN, false);
  lin('k', n1, dKIn, dN, true);
  lin('v', n1, r(g.dV), dN, true);
  rmsnormBackward(ctx, x, w.attnNorm, r(a.rstd1), dN, dX, null, { accumulateDX: true });
}
