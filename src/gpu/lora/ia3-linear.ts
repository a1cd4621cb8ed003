/**
 * A frozen linear layer with an IA³ vector (Liu et al. 2022, PEFT's IA3 Linear): y = (x·Wᵀ + b) ⊙ l when it
 * scales the output (attention's k and v), y = (x ⊙ l)·Wᵀ + b when it scales the input (the MLP's down
 * projection, PEFT's feed-forward modules). l starts at ones, so training starts from the base model.
 * Scaling the output keeps the unscaled product [T, out] for the backward (dl needs it); scaling the input writes
 * x ⊙ l into that buffer ([T, in]) only for the product to read (the backward reads the block's own x instead),
 * so training shares one such buffer across layers.
 */
import type { GpuContext } from '../context';
import { columnScaleBackward, columnScaleForward } from '../kernels/column_scale';
import { linearBackwardInput, linearForward, type LinearLayer } from '../model/linear';
import type { Tensor } from '../tensor';
import type { AdaptedLinear, Ia3Vector } from './adapted-linear';

export class Ia3Linear implements AdaptedLinear {
  readonly dropsInput = false;

  constructor(
    readonly base: LinearLayer,
    readonly ia3: Ia3Vector,
  ) {
    const width = ia3.side === 'output' ? base.outFeatures : base.inFeatures;
    if (ia3.l.size !== width) throw new RangeError(`IA³ vector of ${ia3.l.size} values on a ${ia3.side} of ${width} features`);
  }

  /** The unscaled product [T, out] on the output side; the scaled input [T, in] on the input side. */
  get savedWidth(): number {
    return this.ia3.side === 'output' ? this.base.outFeatures : this.base.inFeatures;
  }

  /** The backward reads the unscaled product; the scaled input is only the forward's product input. */
  get keepsSaved(): boolean {
    return this.ia3.side === 'output';
  }

  /** The gradient at the scaled side: dy ⊙ l [T, out], or dy·W [T, in]. */
  get scratchWidth(): number {
    return this.ia3.side === 'output' ? this.base.outFeatures : this.base.inFeatures;
  }

  forward(ctx: GpuContext, x: Tensor, y: Tensor, saved: Tensor | null, options: { residual?: Tensor } = {}): void {
    const { l, side } = this.ia3;
    if (!saved) throw new Error(`Ia3Linear.forward: an ${side}-side vector needs its saved [T, ${this.savedWidth}] buffer`);
    if (side === 'output') {
      linearForward(ctx, this.base, x, saved);
      columnScaleForward(ctx, saved, l, y, { residual: options.residual });
      return;
    }
    columnScaleForward(ctx, x, l, saved);
    linearForward(ctx, this.base, saved, y, { residual: options.residual });
  }

  backward(
    ctx: GpuContext,
    x: Tensor,
    saved: Tensor | null,
    dy: Tensor,
    dx: Tensor,
    scratch: Tensor | null,
    options: { accumulateDx?: boolean } = {},
  ): void {
    const { l, dl, side } = this.ia3;
    if (!dl) throw new Error('Ia3Linear.backward: the IA³ vector has no gradient buffer');
    if (!scratch) throw new Error('Ia3Linear.backward: needs its scratch');
    const rows = x.shape[0];
    if (side === 'output') {
      if (!saved) throw new Error('Ia3Linear.backward: an output-side vector needs its saved product');
      // y = p ⊙ l with p = x·Wᵀ + b: dp = dy ⊙ l, dl += Σ dy ⊙ p, then dx (+)= dp·W.
      const dp = scratch.view([rows, this.base.outFeatures]);
      columnScaleBackward(ctx, dy, saved, l, dp, dl);
      linearBackwardInput(ctx, this.base, dp, dx, { accumulate: options.accumulateDx });
      return;
    }
    // y = s·Wᵀ + b with s = x ⊙ l: ds = dy·W, dl += Σ ds ⊙ x, dx (+)= ds ⊙ l.
    const ds = scratch.view([rows, this.base.inFeatures]);
    linearBackwardInput(ctx, this.base, dy, ds);
    columnScaleBackward(ctx, ds, x, l, dx, dl, { accumulate: options.accumulateDx });
  }
}
