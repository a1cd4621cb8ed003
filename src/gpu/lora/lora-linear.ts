/**
 * A frozen linear layer that may carry a LoRA adapter (MLX's LoRALinear): y = x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ with
 * A [r, in] and B [out, r]. x·Aᵀ is computed once into u [T, r], and (u·Bᵀ)·scale is added by the base matmul
 * itself (dense or quantized), as r more steps of its reduction, so no [T, out] temporary exists and y is written
 * once; the backward does the same for du·A in dx.
 * The same object serves inference (an uploaded adapter, or a view of a trainer's parameters, attached with
 * `lora = …`) and training (the trainer's parameter views with their gradients). Without an adapter the layer is
 * just the frozen linear, and backward only propagates dx.
 */
import type { GpuContext } from '../context';
import { matmulBackwardInput, matmulBackwardWeight, matmulForward, type LowRankTerm } from '../kernels/matmul';
import { linearBackwardInput, linearForward, type LinearLayer } from '../model/linear';
import type { Tensor } from '../tensor';
import type { AdaptedLinear, AdapterInputMask, LoraMatrices, LoraWeights } from './adapted-linear';

function trainable(lora: LoraWeights): lora is LoraMatrices {
  return 'dA' in lora && 'dB' in lora;
}

export class LoraLinear implements AdaptedLinear {
  constructor(
    readonly base: LinearLayer,
    /** The attached adapter, or null for the bare frozen layer. */
    public lora: LoraWeights | null = null,
  ) {}

  get rank(): number {
    return this.lora ? this.lora.a.shape[0] : 0;
  }

  /** u = x·Aᵀ [T, r] is kept; du [T, r] is the backward's scratch. */
  get savedWidth(): number {
    return this.rank;
  }

  get scratchWidth(): number {
    return this.rank;
  }

  readonly keepsSaved = true;

  get dropsInput(): boolean {
    return this.lora !== null;
  }

  /** y [T, out] = base(x [T, in]) (+ residual) + scale·(x·Aᵀ)·Bᵀ; u [T, r] = x·Aᵀ is kept for backward. */
  forward(
    ctx: GpuContext,
    x: Tensor,
    y: Tensor,
    u: Tensor | null,
    options: { residual?: Tensor; adapterInput?: Tensor } = {},
  ): void {
    let lowRank: LowRankTerm | undefined;
    if (this.lora) {
      if (!u) throw new Error('LoraLinear.forward: an adapted layer needs its u [T, r] buffer');
      // With dropout the adapter reads mask(x); u is then x_masked·Aᵀ.
      matmulForward(ctx, options.adapterInput ?? x, this.lora.a, u);
      lowRank = { u, b: this.lora.b, scale: this.lora.scale };
    }
    linearForward(ctx, this.base, x, y, { residual: options.residual, lowRank });
  }

  /**
   * From dy [T, out]: dx [T, in] (+)= dy·W + scale·(dy·B)·A, and the adapter's gradients
   * dB += scale·dyᵀ·u, dA += duᵀ·x with du [T, r] = scale·dy·B (scratch). With `dropout`, x is the masked input
   * for dA, and the adapter's share of dx goes through the same mask.
   */
  backward(
    ctx: GpuContext,
    x: Tensor,
    u: Tensor | null,
    dy: Tensor,
    dx: Tensor,
    du: Tensor | null,
    options: { accumulateDx?: boolean; dropout?: AdapterInputMask } = {},
  ): void {
    if (!this.lora) {
      linearBackwardInput(ctx, this.base, dy, dx, { accumulate: options.accumulateDx });
      return;
    }
    if (!trainable(this.lora)) throw new Error('LoraLinear.backward: the attached adapter has no gradient buffers');
    if (!u || !du) throw new Error('LoraLinear.backward: an adapted layer needs u and du [T, r]');
    const { a, b, dA, dB, scale } = this.lora;
    matmulBackwardWeight(ctx, dy, u, dB, { accumulate: true, scale });
    matmulBackwardInput(ctx, dy, b, du, { scale });
    const mask = options.dropout;
    matmulBackwardWeight(ctx, du, mask ? mask.input(x) : x, dA, { accumulate: true });
    // Without dropout du·A joins the base product's reduction (one dispatch for dx); with it, the adapter's share
    // of dx goes through the mask first.
    const lowRank = mask ? undefined : { u: du, b: a, scale: 1 };
    linearBackwardInput(ctx, this.base, dy, dx, { accumulate: options.accumulateDx, lowRank });
    if (!mask) return;
    const g = mask.gradScratch(x);
    matmulBackwardInput(ctx, du, a, g);
    mask.addMaskedGrad(g, dx);
  }
}
