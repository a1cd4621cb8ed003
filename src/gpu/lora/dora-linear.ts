/**
 * A frozen linear layer with a DoRA adapter (Liu et al. 2024, PEFT's LoRA with use_dora): the LoRA-updated weight
 * W + s·B·A is split into a direction, each row divided by its norm n (detached: a constant of the step, as in the
 * paper and PEFT), and a learned magnitude m per output row:
 *   y = (m/n) ⊙ p + b,   p = x·Wᵀ + s·(x·Aᵀ)·Bᵀ,   n_j = ‖W_j + s·B_j·A‖.
 * p is LoRA's product without the bias (an inner LoraLinear on the bias-free base), so its backward is LoRA's
 * given dp = dy ⊙ (m/n); dm = Σ dy ⊙ p / n. The forward first refreshes m/n, 1/n and n (dora_scale), from the
 * current A, B and m: every forward when training, once for an uploaded adapter.
 * With LoRA dropout the pair reads the masked input (as LoRA's does) while p's base product reads x itself; PEFT
 * instead applies its DoRA term to the masked input too. Inference is the same either way.
 * Buffers: a kernel may not read one part of a buffer while writing another, so u = x·Aᵀ is first written into
 * y (which has room: r ≤ out, and y is written last), the product reads it there into p, and it is copied beside
 * p in `saved` ([T, savedWidth]: p, then u at a 256-byte boundary). The backward's scratch holds dp [T, out];
 * du [T, r] goes where p was, once dm has read it.
 */
import type { GpuContext } from '../context';
import { columnScaleBackward, columnScaleForward } from '../kernels/column_scale';
import { doraScale, doraScaleViews } from '../kernels/dora_scale';
import type { LinearLayer } from '../model/linear';
import { Tensor } from '../tensor';
import type { AdaptedLinear, AdapterInputMask, DoraMagnitude, LoraWeights } from './adapted-linear';
import { LoraLinear } from './lora-linear';

/** Floats per 256 bytes: the second of two row blocks in one buffer starts at a bindable offset. */
const ALIGN_FLOATS = 64;

/** Two consecutive blocks [T, first] and [T, second] of one buffer, the second 256-byte aligned. */
function twoBlocks(buffer: Tensor, first: number, second: number): [Tensor, Tensor] {
  const t = buffer.shape[0];
  const secondAt = Math.ceil((t * first) / ALIGN_FLOATS) * ALIGN_FLOATS;
  if (secondAt + t * second > buffer.size) throw new RangeError(`DoraLinear: ${buffer} cannot hold [${t}, ${first}] and [${t}, ${second}]`);
  const at = (offset: number, width: number, what: string) =>
    new Tensor(buffer.buffer, [t, width], 'f32', `${buffer.label}.${what}`, buffer.byteOffset + offset * 4);
  return [at(0, first, 'p'), at(secondAt, second, 'u')];
}

export class DoraLinear implements AdaptedLinear {
  readonly keepsSaved = true;
  readonly dropsInput = true;
  /** LoRA's pair on the base without its bias: its forward writes p, its backward takes dp. */
  private readonly pair: LoraLinear;
  private readonly magnitude: DoraMagnitude;
  /** Whether `magnitude.scales` holds this adapter's values (only ever true for a fixed adapter). */
  private scalesReady = false;

  constructor(
    readonly base: LinearLayer,
    readonly lora: LoraWeights,
  ) {
    if (!lora.dora) throw new Error('DoraLinear: the LoRA pair has no DoRA magnitude');
    if (lora.dora.m.size !== base.outFeatures) {
      throw new RangeError(`DoraLinear: a magnitude of ${lora.dora.m.size} values on ${base.outFeatures} output features`);
    }
    this.magnitude = lora.dora;
    this.pair = new LoraLinear({ ...base, bias: undefined }, lora);
  }

  get rank(): number {
    return this.lora.a.shape[0];
  }

  /** p [T, out] and u [T, r], the second block padded to a 256-byte boundary (≤ 64 floats, whatever T). */
  get savedWidth(): number {
    return this.base.outFeatures + this.rank + ALIGN_FLOATS;
  }

  /** dp [T, out]. */
  get scratchWidth(): number {
    return this.base.outFeatures;
  }

  /** p [T, out] and u [T, r] in `saved`. */
  private views(saved: Tensor, rows: number): [Tensor, Tensor] {
    return twoBlocks(saved.view([rows, this.savedWidth]), this.base.outFeatures, this.rank);
  }

  /** The first T·r floats of a buffer (of y, of p's place) as a [T, r] tensor. */
  private leading(t: Tensor, rows: number, what: string): Tensor {
    return new Tensor(t.buffer, [rows, this.rank], 'f32', `${t.label}.${what}`, t.byteOffset);
  }

  /** m/n, 1/n and n from the current A, B and m (once, for a fixed adapter outside a rehearsal). */
  private refreshScales(ctx: GpuContext): ReturnType<typeof doraScaleViews> {
    const { m, scales, fixed } = this.magnitude;
    if (!fixed || !this.scalesReady) {
      doraScale(ctx, { weight: this.base.weight, a: this.lora.a, b: this.lora.b, scale: this.lora.scale, magnitude: m, out: scales });
      // A rehearsal records nothing, so the scales are still to compute.
      this.scalesReady = fixed && !ctx.rehearsing;
    }
    return doraScaleViews(scales, this.base.outFeatures);
  }

  forward(ctx: GpuContext, x: Tensor, y: Tensor, saved: Tensor | null, options: { residual?: Tensor; adapterInput?: Tensor } = {}): void {
    if (!saved) throw new Error(`DoraLinear.forward: needs its saved [T, ${this.savedWidth}] buffer`);
    const { g } = this.refreshScales(ctx);
    const rows = x.shape[0];
    const [p, u] = this.views(saved, rows);
    const uInY = this.leading(y, rows, 'u');
    this.pair.forward(ctx, x, p, uInY, { adapterInput: options.adapterInput });
    ctx.copy(uInY, u, rows * this.rank * 4);
    columnScaleForward(ctx, p, g, y, { bias: this.base.bias, residual: options.residual });
  }

  /**
   * From dy [T, out]: dp = dy ⊙ (m/n) and dm += Σ dy ⊙ p / n, then LoRA's backward of p (dA, dB, and dx (+)= dp·W
   * + the pair's share). The scales are those the forward of this step computed (A, B and m have not moved since).
   */
  backward(
    ctx: GpuContext,
    x: Tensor,
    saved: Tensor | null,
    dy: Tensor,
    dx: Tensor,
    scratch: Tensor | null,
    options: { accumulateDx?: boolean; dropout?: AdapterInputMask } = {},
  ): void {
    const { dm, scales } = this.magnitude;
    if (!dm) throw new Error('DoraLinear.backward: the magnitude has no gradient buffer');
    if (!saved || !scratch) throw new Error('DoraLinear.backward: needs its saved p, u and its scratch');
    const rows = x.shape[0];
    const [p, u] = this.views(saved, rows);
    const dp = scratch.view([rows, this.base.outFeatures]);
    const { g, invNorm } = doraScaleViews(scales, this.base.outFeatures);
    columnScaleBackward(ctx, dy, p, g, dp, dm, { gradScale: invNorm });
    this.pair.backward(ctx, x, u, dp, dx, this.leading(p, rows, 'du'), options);
  }
}
