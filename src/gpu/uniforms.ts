/**
 * Per-dispatch parameters (sizes, scales) go into one uniform "slab" per submit: each dispatch gets its own
 * 256-byte-aligned slot, and the slab is written with a single `writeBuffer` just before `queue.submit`.
 * Queue ordering makes reusing the slab next step safe: earlier submits read it before the next write lands.
 */

/** Builds a kernel's `Params` struct: fields in the WGSL struct's order, each 4 bytes. */
export class Params {
  private readonly words: number[] = [];
  private readonly kinds: ('u32' | 'i32' | 'f32')[] = [];

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`uniform u32 out of range: ${value}`);
    }
    this.words.push(value);
    this.kinds.push('u32');
    return this;
  }

  i32(value: number): this {
    this.words.push(value | 0);
    this.kinds.push('i32');
    return this;
  }

  f32(value: number): this {
    this.words.push(value);
    this.kinds.push('f32');
    return this;
  }

  get byteLength(): number {
    // Uniform structs are padded to 16 bytes.
    return Math.max(16, Math.ceil((this.words.length * 4) / 16) * 16);
  }

  writeTo(view: DataView, offset: number): void {
    for (let i = 0; i < this.words.length; i++) {
      const at = offset + i * 4;
      const kind = this.kinds[i];
      if (kind === 'f32') view.setFloat32(at, this.words[i], true);
      else if (kind === 'i32') view.setInt32(at, this.words[i], true);
      else view.setUint32(at, this.words[i], true);
    }
  }
}

const SLAB_BYTES = 64 * 1024;

export class UniformSlabs {
  private readonly slabs: GPUBuffer[] = [];
  /** CPU copies of the slabs, filled while recording. */
  private readonly stagings: DataView[] = [];
  private slab = 0;
  private offset = 0;
  private readonly dirty: number[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly align: number,
    private readonly allocate: (bytes: number, usage: GPUBufferUsageFlags, label: string) => GPUBuffer,
  ) {}

  /** Reserves a slot, fills it, and returns its binding. */
  push(params: Params): GPUBufferBinding {
    const size = params.byteLength;
    if (this.offset + size > SLAB_BYTES) {
      this.slab++;
      this.offset = 0;
    }
    while (this.slabs.length <= this.slab) {
      this.slabs.push(
        this.allocate(SLAB_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, `uniforms#${this.slabs.length}`),
      );
      this.stagings.push(new DataView(new ArrayBuffer(SLAB_BYTES)));
    }
    const offset = this.offset;
    params.writeTo(this.stagings[this.slab], offset);
    this.dirty[this.slab] = offset + size;
    this.offset = Math.ceil((offset + size) / this.align) * this.align;
    return { buffer: this.slabs[this.slab], offset, size };
  }

  /** Uploads what this batch wrote and starts the next batch at the beginning of the first slab. */
  flush(): void {
    for (let i = 0; i < this.dirty.length; i++) {
      const used = this.dirty[i];
      if (used) this.device.queue.writeBuffer(this.slabs[i], 0, this.stagings[i].buffer, 0, used);
    }
    this.dirty.length = 0;
    this.slab = 0;
    this.offset = 0;
  }
}
