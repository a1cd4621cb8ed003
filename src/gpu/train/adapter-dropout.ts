/**
 * LoRA dropout for a whole model: every adapted projection of every layer draws its own mask (as PEFT gives each
 * LoRA module its own nn.Dropout), and every micro-batch draws new ones. A mask is a pure function of a u32 seed
 * mixed from the micro-batch's seed, the layer and the target, so the backward pass and a checkpointed recompute
 * get the same mask without storing it. Two scratch buffers [maxTokens, maxIn] hold mask(x) and du·A.
 */
import type { GpuContext } from '../context';
import { dropoutBackward, dropoutForward } from '../kernels/dropout';
import { LORA_TARGETS, type LoraTarget } from '../../model/lora-targets';
import type { AdapterInputMask } from '../lora/adapted-linear';
import type { Tensor } from '../tensor';

function mix(a: number, b: number): number {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class AdapterDropout {
  private readonly masked: Tensor; // [maxTokens·maxIn] mask(x) of the current site
  private readonly grad: Tensor; // [maxTokens·maxIn] du·A of the current site
  private batchSeed = 0;

  constructor(
    private readonly ctx: GpuContext,
    readonly p: number,
    maxTokens: number,
    maxIn: number,
  ) {
    this.masked = ctx.tensor([maxTokens * maxIn], 'f32', 'dropout.masked');
    this.grad = ctx.tensor([maxTokens * maxIn], 'f32', 'dropout.grad');
  }

  /** Starts a micro-batch: its masks derive from `seed` (drawn from the trainer's RNG). */
  beginBatch(seed: number): void {
    this.batchSeed = seed >>> 0;
  }

  private seedOf(layer: number, target: LoraTarget): number {
    return mix(mix(this.batchSeed, layer), LORA_TARGETS.indexOf(target));
  }

  /** mask(x) for the adapter of `target` in `layer`, in scratch memory. */
  apply(x: Tensor, layer: number, target: LoraTarget): Tensor {
    const out = this.masked.view(x.shape);
    dropoutForward(this.ctx, x, out, { p: this.p, seed: this.seedOf(layer, target) });
    return out;
  }

  /** The backward pass's view of one site. */
  site(layer: number, target: LoraTarget): AdapterInputMask {
    const seed = this.seedOf(layer, target);
    return {
      input: (x) => this.apply(x, layer, target),
      gradScratch: (x) => this.grad.view(x.shape),
      addMaskedGrad: (g, dx) => dropoutBackward(this.ctx, g, dx, { p: this.p, seed, accumulate: true }),
    };
  }

  get bytes(): number {
    return this.masked.byteSize + this.grad.byteSize;
  }

  release(): void {
    this.ctx.release(this.masked);
    this.ctx.release(this.grad);
  }
}
