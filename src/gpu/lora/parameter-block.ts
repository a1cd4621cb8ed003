/**
 * Trainable parameters packed into one buffer, with their gradients and AdamW moments in three more buffers of
 * the same layout. Each matrix starts at a 256-byte boundary (WebGPU's storage binding alignment), so kernels see
 * it as an ordinary tensor view, while the optimizer and the gradient norm treat each buffer as one tensor:
 * one dispatch per step instead of one per matrix.
 */
import type { GpuContext } from '../context';
import { Tensor } from '../tensor';

const ALIGN_FLOATS = 64; // 256 bytes

export interface BlockSlot {
  name: string;
  shape: readonly number[];
  /** Offset in floats from the start of the block. */
  offset: number;
}

export class ParameterBlock {
  readonly slots: BlockSlot[] = [];
  private floats = 0;
  private tensors: { params: Tensor; grads: Tensor; m: Tensor; v: Tensor } | null = null;

  /** Reserves a matrix; call before `allocate`. Returns its slot. */
  add(name: string, shape: readonly number[]): BlockSlot {
    if (this.tensors) throw new Error(`parameter block: '${name}' added after allocation`);
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape, offset: this.floats };
    this.slots.push(slot);
    this.floats += Math.ceil(size / ALIGN_FLOATS) * ALIGN_FLOATS;
    return slot;
  }

  /** Total floats of one buffer, padding included. */
  get length(): number {
    return this.floats;
  }

  /** Makes the four buffers (all zero). Shapes and units: f32 [length] each. */
  allocate(ctx: GpuContext, label: string): void {
    const make = (what: string) => ctx.tensor([Math.max(this.floats, 1)], 'f32', `${label}.${what}`);
    this.tensors = { params: make('params'), grads: make('grads'), m: make('adam_m'), v: make('adam_v') };
  }

  private get all() {
    if (!this.tensors) throw new Error('parameter block: not allocated');
    return this.tensors;
  }

  get params(): Tensor {
    return this.all.params;
  }
  get grads(): Tensor {
    return this.all.grads;
  }
  get m(): Tensor {
    return this.all.m;
  }
  get v(): Tensor {
    return this.all.v;
  }

  /** The slot's matrix inside one of the four buffers. */
  view(which: 'params' | 'grads' | 'm' | 'v', slot: BlockSlot): Tensor {
    const whole = this.all[which];
    return new Tensor(whole.buffer, slot.shape, 'f32', `${whole.label}:${slot.name}`, whole.byteOffset + slot.offset * 4);
  }

  /** Host copy of the parameters laid out as the block is (for checkpoints and export). */
  pack(values: Map<string, Float32Array>): Float32Array {
    const out = new Float32Array(this.floats);
    for (const slot of this.slots) {
      const v = values.get(slot.name);
      if (v) out.set(v, slot.offset);
    }
    return out;
  }

  /** Splits a host copy of a block buffer into its matrices. */
  unpack(block: Float32Array): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const slot of this.slots) {
      const size = slot.shape.reduce((a, b) => a * b, 1);
      out.set(slot.name, block.slice(slot.offset, slot.offset + size));
    }
    return out;
  }

  release(ctx: GpuContext): void {
    if (!this.tensors) return;
    for (const t of Object.values(this.tensors)) ctx.release(t);
    this.tensors = null;
  }
}
