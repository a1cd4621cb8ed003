/**
 * Per-kernel GPU time from timestamp queries, for benchmarks that need to know where a step's time goes.
 * While a profiler is attached, GpuContext gives every dispatch its own compute pass whose begin and end write a
 * timestamp. The query set is small (4096 queries), so when it fills, or at a flush, its values are resolved into
 * an accumulating buffer in command order and the set is reused. `collect()` (after the work is done) reads the
 * accumulated pairs back and sums them by kernel name.
 *
 * A pass per dispatch costs a little on its own, so profiled totals run slightly above unprofiled ones; the
 * split between kernels is what this is for. Needs the optional 'timestamp-query' feature.
 */
const QUERIES = 4096;

export interface KernelTime {
  kernel: string;
  ms: number;
  dispatches: number;
}

export class KernelProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly accumulated: GPUBuffer;
  private readonly capacity: number;
  private used = 0;
  private resolved = 0;
  /** Kernel name and position (in queries) in `accumulated` of each timed dispatch. */
  private readonly pending: { kernel: string; at: number }[] = [];
  private readonly done: { kernel: string; at: number }[] = [];

  /** `maxDispatches` bounds how many dispatches one collect() can cover. */
  constructor(
    private readonly device: GPUDevice,
    maxDispatches = 65536,
  ) {
    if (!device.features.has('timestamp-query')) {
      throw new Error("kernel profiling needs the 'timestamp-query' feature, which this device was not given");
    }
    this.capacity = maxDispatches * 2;
    this.querySet = device.createQuerySet({ type: 'timestamp', count: QUERIES, label: 'profiler' });
    this.accumulated = device.createBuffer({
      size: this.capacity * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'profiler.accumulated',
    });
  }

  /** Pass descriptor for one dispatch of `kernel`; resolves first when the query set is full. */
  passFor(kernel: string, encoder: GPUCommandEncoder): GPUComputePassDescriptor {
    if (this.used + 2 > QUERIES) this.resolve(encoder);
    if (this.resolved + 32 + this.used + 2 > this.capacity) {
      throw new Error(`kernel profiler: more than ${this.capacity / 2} dispatches before collect()`);
    }
    const begin = this.used;
    this.used += 2;
    this.pending.push({ kernel, at: begin });
    return { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: begin, endOfPassWriteIndex: begin + 1 } };
  }

  /** Records the resolve of the queries written so far (call before the encoder is finished). */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.used) return;
    // Resolve destinations must be 256-byte aligned: 32 queries.
    const base = Math.ceil(this.resolved / 32) * 32;
    encoder.resolveQuerySet(this.querySet, 0, this.used, this.accumulated, base * 8);
    for (const p of this.pending.splice(0)) this.done.push({ kernel: p.kernel, at: base + p.at });
    this.resolved = base + this.used;
    this.used = 0;
  }

  /** Reads every resolved pair back (the caller has flushed and waited) and sums GPU time per kernel name. */
  async collect(): Promise<KernelTime[]> {
    const count = this.resolved;
    const timed = this.done.splice(0);
    this.resolved = 0;
    if (!count) return [];
    const staging = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(this.accumulated, 0, staging, 0, count * 8);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const ticks = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const byKernel = new Map<string, KernelTime>();
    timed.forEach(({ kernel, at }) => {
      const ns = Number(ticks[at + 1] - ticks[at]);
      const row = byKernel.get(kernel) ?? { kernel, ms: 0, dispatches: 0 };
      row.ms += Math.max(0, ns) / 1e6;
      row.dispatches++;
      byKernel.set(kernel, row);
    });
    return [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  }

  destroy(): void {
    this.querySet.destroy();
    this.accumulated.destroy();
  }
}
