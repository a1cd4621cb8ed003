/**
 * A frozen linear layer under a batch of rows that each carry their own adapter (or none): the base product runs
 * once for every row, then the rows' low-rank terms are gathered from the adapter slots (Punica's BGMV):
 * u = x·A_slot(row)ᵀ and y += scale_slot · u·B_slot(row)ᵀ. A base row's output is the base product alone.
 * The slots are read at every forward, so loading or dropping an adapter never leaves the layer on freed stacks.
 * Inference only: batched generation trains nothing.
 */
import type { LoraTarget } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import { loraExpandForward, loraShrinkForward } from '../kernels/lora_slots';
import { linearForward, type LinearLayer } from '../model/linear';
import type { Tensor } from '../tensor';
import type { AdaptedLinear } from './adapted-linear';
import type { AdapterSlots } from './adapter-slots';

export class SlotLinear implements AdaptedLinear {
  readonly keepsSaved = false;
  readonly scratchWidth = 0;
  readonly dropsInput = false;

  constructor(
    readonly base: LinearLayer,
    private readonly slots: AdapterSlots,
    private readonly layer: number,
    private readonly target: LoraTarget,
    /** [rows] u32, each row's slot (0xffffffff: the base alone); seen through a [T] view per forward. */
    private readonly rowSlot: Tensor,
    /** The width of the shared scratch u: the largest rank in the slots when the model took them. */
    readonly savedWidth: number,
  ) {}

  forward(ctx: GpuContext, x: Tensor, y: Tensor, u: Tensor | null, options: { residual?: Tensor } = {}): void {
    linearForward(ctx, this.base, x, y, { residual: options.residual });
    const stacked = this.slots.projection(this.layer, this.target);
    if (!stacked) return;
    if (!u || stacked.maxRank > this.savedWidth) {
      throw new RangeError(
        `SlotLinear: layer ${this.layer} '${this.target}' has an adapter of rank ${stacked.maxRank} in its slots, more than ` +
          `the ${this.savedWidth} the model planned for: call setSlots again after loading it`,
      );
    }
    const rows = x.shape[0];
    const rowSlot = this.rowSlot.view([rows]);
    const scratch = u.view([rows, stacked.maxRank]);
    const { stack, table, totalRank } = stacked;
    loraShrinkForward(ctx, x, stack, table, rowSlot, scratch, { totalRank });
    loraExpandForward(ctx, scratch, stack, table, rowSlot, y, { totalRank });
  }

  backward(): void {
    throw new Error('SlotLinear: batched adapters are for generation; training runs one adapter');
  }
}
