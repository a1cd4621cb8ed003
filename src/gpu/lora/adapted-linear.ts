/**
 * What the transformer block knows of an adapted projection, whatever the PEFT method: the AdaptedLinear interface
 * it drives (LoraLinear, DoraLinear, Ia3Linear), the weights each method attaches (a LoRA pair, with or without
 * DoRA's magnitude, an IA³ vector), and a whole model's adapter for inference. Types and one guard, so the
 * methods' layers and their users share them without a loop.
 */
import type { LinearLayer } from '../model/linear';
import type { Tensor } from '../tensor';
import type { GpuContext } from '../context';
import type { LoraTarget } from '../../model/lora-targets';

/**
 * One projection's adapter: y += scale·(x·Aᵀ)·Bᵀ, or with `dora` the DoRA form of the same pair. B's q/k rows
 * (and a DoRA magnitude's) are in the base's RoPE layout.
 */
export interface LoraWeights {
  a: Tensor; // [r, in] f32
  b: Tensor; // [out, r] f32
  scale: number;
  dora?: DoraMagnitude;
}

/**
 * DoRA's magnitude on a LoRA pair (Liu et al. 2024, PEFT's use_dora): y = (m/n) ⊙ (x·Wᵀ + scale·(x·Aᵀ)·Bᵀ) + b,
 * with n = ‖W + scale·B·A‖ per output row, detached. `scales` is dora_scale's output (m/n, 1/n, n), which the
 * projection refreshes before it is read.
 */
export interface DoraMagnitude {
  m: Tensor; // [out] f32
  /** The magnitude's gradient when training, accumulated over micro-batches. */
  dm?: Tensor;
  scales: Tensor; // [3·doraScaleStride(out)] f32
  /** m, A and B never change (an uploaded adapter): the scales are computed at the projection's first forward only. */
  fixed: boolean;
}

/** A trainable adapter: its matrices and their gradients, as views into the trainer's parameter block. */
export interface LoraMatrices extends LoraWeights {
  dA: Tensor; // [r, in], accumulated over micro-batches, zeroed by the optimizer
  dB: Tensor; // [out, r]
}

/** Which side of the product an IA³ vector scales. */
export type Ia3Side = 'output' | 'input';

/** One projection's IA³ vector and, when training, its gradient. */
export interface Ia3Vector {
  l: Tensor; // [out] or [in] f32
  dl?: Tensor; // same size, accumulated over micro-batches
  side: Ia3Side;
}

/**
 * Per layer, the adapted projections of a whole model (others run as the frozen base): a LoRA pair or an IA³
 * vector each; or, for prompt tuning, no projection and the virtual tokens' embeddings. Owned by its maker.
 */
export interface InferenceAdapter {
  layers: Partial<Record<LoraTarget, LoraWeights | Ia3Vector>>[];
  /** Prompt tuning: [P, C] embeddings of P virtual tokens before every sequence (positions 0..P-1). */
  prompt?: Tensor;
}

/** Whether an adapted projection's weights are an IA³ vector (else a LoRA pair). */
export function isIa3(w: LoraWeights | Ia3Vector): w is Ia3Vector {
  return 'l' in w;
}

/**
 * LoRA dropout at one adapted projection (PEFT's lora_dropout on the adapter's input only): the adapter sees
 * mask(x) while the frozen path sees x. The mask is a pure function of a per-site seed, so the backward (and a
 * recomputing, checkpointed forward) reproduces it instead of storing it.
 */
export interface AdapterInputMask {
  /** mask(x) [T, in] in scratch memory, valid until the next call on the same site kind. */
  input(x: Tensor): Tensor;
  /** A [T, in] scratch for du·A, distinct from `input`'s. */
  gradScratch(x: Tensor): Tensor;
  /** dx += mask(g), g [T, in] (the gradient through the mask). */
  addMaskedGrad(g: Tensor, dx: Tensor): void;
}

/**
 * A frozen linear layer with whatever a PEFT method adds to it (LoRA's low-rank pair, IA³'s scaling vector), as
 * the transformer block drives it: forward keeps `saved` ([T, savedWidth]) for backward, backward gets a scratch
 * ([T, scratchWidth]). One object serves inference and training.
 */
export interface AdaptedLinear {
  readonly base: LinearLayer;
  /** Floats per token the forward writes into its `saved` buffer (0: none). */
  readonly savedWidth: number;
  /** Whether the backward reads `saved` (else it is the forward's scratch, which layers may share). */
  readonly keepsSaved: boolean;
  /** Floats per token of backward scratch (0: none). */
  readonly scratchWidth: number;
  /** Whether LoRA dropout applies to this projection's adapter input. */
  readonly dropsInput: boolean;
  forward(ctx: GpuContext, x: Tensor, y: Tensor, saved: Tensor | null, options?: { residual?: Tensor; adapterInput?: Tensor }): void;
  backward(
    ctx: GpuContext,
    x: Tensor,
    saved: Tensor | null,
    dy: Tensor,
    dx: Tensor,
    scratch: Tensor | null,
    options?: { accumulateDx?: boolean; dropout?: AdapterInputMask },
  ): void;
}

/** One layer's projections, each an AdaptedLinear (a LoraLinear, with an adapter or not, or an IA³ layer). */
export type LayerProjections = Record<LoraTarget, AdaptedLinear>;
