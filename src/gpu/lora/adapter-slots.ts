/**
 * Up to eight LoRA adapters resident beside one base, for batched generation (Punica / S-LoRA): every
 * projection keeps all the slots' matrices in one stacked buffer and a small table (rank, rank offset, scale per
 * slot), so one gather kernel serves every row of a batch whatever its adapter (lora_slots.ts). Loading or
 * dropping a slot marks the stacks stale; they are rebuilt from the host pairs the slots keep, once, when next
 * read (so filling eight slots uploads each adapter once); the base is untouched.
 *
 * Only plain LoRA (and rsLoRA) pairs batch: DoRA rescales each row by its own adapted weight's norm, IA³ and
 * prompt tuning change other parts of the forward; those run in a pass of their own (LlamaModel.setAdapter).
 */
import { LORA_TARGETS, MAX_ADAPTER_SLOTS, type LoraTarget } from '../../model/lora-targets';
import type { GpuContext } from '../context';
import { packSlotTable } from '../kernels/lora_slots';
import type { GpuLayerWeights } from '../model/weights';
import type { Tensor } from '../tensor';

export { MAX_ADAPTER_SLOTS };

/** One projection's pair on the host: A [r, in] and B [out, r] row-major (B's q/k rows in the base's layout). */
export interface SlotPair {
  r: number;
  a: Float32Array;
  b: Float32Array;
  scale: number;
}

/** One adapter as the slots take it: per layer, the pairs of the projections it adapts. */
export type SlotAdapter = readonly Partial<Record<LoraTarget, SlotPair>>[];

/** What the gather kernels read for one projection: the stack (all A, then all B), the table, the ranks. */
export interface SlotProjection {
  stack: Tensor;
  table: Tensor; // [slots·4] u32: rank, rank offset, scale bits, 0
  totalRank: number;
  maxRank: number;
}

export class AdapterSlots {
  private readonly held: (SlotAdapter | null)[];
  private built: Partial<Record<LoraTarget, SlotProjection>>[] = [];
  /** The stacks no longer match the slots (set since the last build). */
  private stale = false;
  private released = false;

  constructor(
    private readonly ctx: GpuContext,
    private readonly layers: readonly GpuLayerWeights[],
    readonly capacity = MAX_ADAPTER_SLOTS,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_ADAPTER_SLOTS) {
      throw new RangeError(`AdapterSlots: ${capacity} slots asked for; 1 to ${MAX_ADAPTER_SLOTS} are allowed`);
    }
    this.held = new Array<SlotAdapter | null>(capacity).fill(null);
  }

  /** Puts an adapter in `slot` (replacing what was there), or empties it with null. Refused pairs change nothing. */
  set(slot: number, adapter: SlotAdapter | null): void {
    if (this.released) throw new RangeError('AdapterSlots: disposed');
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new RangeError(`AdapterSlots: slot ${slot} does not exist (0..${this.capacity - 1})`);
    }
    if (adapter) this.check(slot, adapter);
    this.held[slot] = adapter;
    this.stale = true;
  }

  /** Slots that hold an adapter. */
  get occupied(): number[] {
    return this.held.flatMap((a, i) => (a ? [i] : []));
  }

  has(slot: number): boolean {
    return this.held[slot] != null;
  }

  /** The stacks and table of one projection, or null when no slot adapts it. */
  projection(layer: number, target: LoraTarget): SlotProjection | null {
    if (this.released) throw new RangeError('AdapterSlots: disposed; a model still reading them needs setSlots with live slots');
    return this.projections[layer]?.[target] ?? null;
  }

  /** Every projection's stacks as the slots now hold them (built here if a slot changed since). */
  private get projections(): Partial<Record<LoraTarget, SlotProjection>>[] {
    if (this.stale && !this.released) this.rebuild();
    return this.built;
  }

  /** The largest rank any slot has on any projection (the width of the batch's x·Aᵀ scratch). */
  get maxRank(): number {
    return Math.max(0, ...this.projections.flatMap((p) => Object.values(p).map((s) => s!.maxRank)));
  }

  /** GPU bytes of every stack and table. */
  get bytes(): number {
    return this.projections.flatMap((p) => Object.values(p)).reduce((s, x) => s + x!.stack.byteSize + x!.table.byteSize, 0);
  }

  get disposed(): boolean {
    return this.released;
  }

  /** Frees the stacks; the slots then adapt nothing, and a model reading them refuses to run. */
  dispose(): void {
    if (this.released) return;
    this.release();
    this.released = true;
  }

  private check(slot: number, adapter: SlotAdapter): void {
    if (adapter.length !== this.layers.length) {
      throw new RangeError(`AdapterSlots: the adapter for slot ${slot} has ${adapter.length} layers, the base ${this.layers.length}`);
    }
    adapter.forEach((pairs, l) => {
      for (const target of LORA_TARGETS) {
        const pair = pairs[target];
        if (!pair) continue;
        const { inFeatures, outFeatures } = this.layers[l][target];
        if (!Number.isInteger(pair.r) || pair.r < 1 || pair.a.length !== pair.r * inFeatures || pair.b.length !== outFeatures * pair.r) {
          throw new RangeError(
            `AdapterSlots: layer ${l} '${target}' of slot ${slot} has rank ${pair.r}, A of ${pair.a.length} and B of ` +
              `${pair.b.length} values; the projection is [${outFeatures}, ${inFeatures}]`,
          );
        }
      }
    });
  }

  private release(): void {
    for (const p of this.built.flatMap((x) => Object.values(x))) {
      this.ctx.release(p!.stack);
      this.ctx.release(p!.table);
    }
    this.built = [];
  }

  private rebuild(): void {
    this.release();
    this.stale = false;
    this.built = this.layers.map((weights, l) => {
      const out: Partial<Record<LoraTarget, SlotProjection>> = {};
      for (const target of LORA_TARGETS) {
        const pairs = this.held.map((a) => a?.[l][target] ?? null);
        const totalRank = pairs.reduce((s, p) => s + (p?.r ?? 0), 0);
        if (totalRank === 0) continue;
        const { inFeatures, outFeatures } = weights[target];
        const stack = new Float32Array(totalRank * (inFeatures + outFeatures));
        let offset = 0;
        const table = packSlotTable(
          pairs.map((p) => {
            if (!p) return { rank: 0, offset, scale: 0 };
            stack.set(p.a, offset * inFeatures);
            stack.set(p.b, totalRank * inFeatures + offset * outFeatures);
            offset += p.r;
            return { rank: p.r, offset: offset - p.r, scale: p.scale };
          }),
        );
        out[target] = {
          stack: this.ctx.tensor([stack.length], 'f32', `slots.${l}.${target}.stack`, stack),
          table: this.ctx.tensor([table.length], 'u32', `slots.${l}.${target}.table`, table),
          totalRank,
          maxRank: Math.max(...pairs.map((p) => p?.r ?? 0)),
        };
      }
      return out;
    });
  }
}
