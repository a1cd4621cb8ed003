/**
 * Every GPU buffer the engine makes goes through this arena, so memory figures are counted, never guessed.
 *
 * `reservedBytes` is what the device holds for us (buffers in use plus buffers parked in the pool for reuse);
 * `peakBytes` is the highest `reservedBytes` seen since the last `resetPeak()`.
 * Released buffers are parked by (size, usage) and handed out again, so a training step that frees and
 * re-allocates the same activations does not churn the driver's allocator.
 */
export interface ArenaStats {
  reservedBytes: number;
  inUseBytes: number;
  peakBytes: number;
  buffers: number;
}

const ROUND_TO = 256;

export class BufferArena {
  private reserved = 0;
  private inUse = 0;
  private peak = 0;
  private count = 0;
  private readonly pool = new Map<string, GPUBuffer[]>();
  /** Each buffer this arena made and has not destroyed: its size, and its entry in `live`. */
  private readonly made = new WeakMap<GPUBuffer, { size: number; ref: WeakRef<GPUBuffer> }>();
  /**
   * The same buffers for destroyAll, held weakly as `made` holds them, so that the arena never keeps a dropped
   * buffer alive longer than the engine did.
   */
  private readonly live = new Set<WeakRef<GPUBuffer>>();

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  /** Allocates (or reuses) a buffer of at least `byteSize` bytes. */
  allocate(byteSize: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    if (!Number.isFinite(byteSize) || byteSize < 0) {
      throw new RangeError(`arena: buffer '${label}' has an invalid size ${byteSize}`);
    }
    const size = Math.max(ROUND_TO, Math.ceil(byteSize / ROUND_TO) * ROUND_TO);
    if (size > this.maxBufferSize) {
      throw new RangeError(
        `arena: buffer '${label}' needs ${size} bytes, more than this adapter's maxBufferSize ${this.maxBufferSize}`,
      );
    }
    const key = `${size}:${usage}`;
    const parked = this.pool.get(key)?.pop();
    if (parked) {
      this.inUse += size;
      return parked;
    }
    const buffer = this.device.createBuffer({ size, usage, label });
    const ref = new WeakRef(buffer);
    this.made.set(buffer, { size, ref });
    this.live.add(ref);
    this.reserved += size;
    this.inUse += size;
    this.count++;
    this.peak = Math.max(this.peak, this.reserved);
    return buffer;
  }

  /** Parks a buffer for reuse; it stays counted in `reservedBytes` until `trim()`. */
  release(buffer: GPUBuffer): void {
    const size = this.sizeOf(buffer);
    this.inUse -= size;
    const key = `${size}:${buffer.usage}`;
    let list = this.pool.get(key);
    if (!list) this.pool.set(key, (list = []));
    list.push(buffer);
  }

  /** Frees a buffer back to the driver at once. */
  destroy(buffer: GPUBuffer): void {
    const size = this.sizeOf(buffer);
    this.inUse -= size;
    this.reserved -= size;
    this.count--;
    this.forget(buffer);
    buffer.destroy();
  }

  /** Frees every parked buffer. */
  trim(): void {
    for (const list of this.pool.values()) {
      for (const buffer of list) {
        this.reserved -= this.sizeOf(buffer);
        this.count--;
        this.forget(buffer);
        buffer.destroy();
      }
    }
    this.pool.clear();
  }

  /** Frees every buffer this arena made, in use or parked: its owner is done with the device (GpuContext.close). */
  destroyAll(): void {
    for (const ref of this.live) {
      const buffer = ref.deref();
      if (buffer) {
        this.made.delete(buffer);
        buffer.destroy();
      }
    }
    this.live.clear();
    this.pool.clear();
    this.reserved = 0;
    this.inUse = 0;
    this.count = 0;
  }

  resetPeak(): void {
    this.peak = this.reserved;
  }

  get stats(): ArenaStats {
    return { reservedBytes: this.reserved, inUseBytes: this.inUse, peakBytes: this.peak, buffers: this.count };
  }

  private forget(buffer: GPUBuffer): void {
    const entry = this.made.get(buffer);
    if (entry) this.live.delete(entry.ref);
    this.made.delete(buffer);
  }

  private sizeOf(buffer: GPUBuffer): number {
    const size = this.made.get(buffer)?.size;
    if (size === undefined) throw new Error(`arena: buffer '${buffer.label}' was not allocated by this arena`);
    return size;
  }
}
