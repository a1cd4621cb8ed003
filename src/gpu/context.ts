/**
 * The engine's handle on one GPUDevice: the allocator, the kernel registry, and a recorder that encodes many
 * dispatches into one command encoder and submits them together. Reads from the GPU happen only on request.
 *
 * Binding convention for every kernel: when a dispatch has `Params`, they are `@binding(0)` (uniform) and the
 * storage buffers follow from `@binding(1)` in the order given; without params, storage starts at `@binding(0)`.
 */
import { BufferArena, type ArenaStats } from './arena';
import type { AcquiredDevice, AdapterReport } from './device';
import type { KernelProfiler } from './kernel-profiler';
import { KernelRegistry, type Kernel, type KernelSpec } from './registry';
import { BYTES_PER_ELEMENT, type DType, Tensor } from './tensor';
import { Params, UniformSlabs } from './uniforms';

export type Binding = Tensor | GPUBuffer;

export type Workgroups = readonly [number, number?, number?];

export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

export class GpuContext {
  readonly arena: BufferArena;
  readonly kernels: KernelRegistry;
  private readonly uniforms: UniformSlabs;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly errors: string[] = [];
  private batchKernels: string[] = [];
  /** Resolved in the constructor: in Node the GPUBufferUsage global exists only once `webgpu` is loaded. */
  private readonly storageUsage: number;
  /** Dispatches recorded since the context was made (for tests and benchmarks). */
  dispatches = 0;
  submits = 0;
  /** The specializations asked for while a rehearsal runs (prepareKernels), by key; null otherwise. */
  private rehearsal: Map<string, KernelSpec> | null = null;
  /** When set, every dispatch is timed on the GPU (benchmarks only; see kernel-profiler.ts). */
  profiler: KernelProfiler | null = null;
  readonly lost: Promise<GPUDeviceLostInfo>;

  constructor(
    readonly device: GPUDevice,
    readonly report: AdapterReport,
  ) {
    this.storageUsage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    this.arena = new BufferArena(device, device.limits.maxBufferSize);
    this.kernels = new KernelRegistry(device);
    this.uniforms = new UniformSlabs(device, device.limits.minUniformBufferOffsetAlignment, (b, u, l) =>
      this.arena.allocate(b, u, l),
    );
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.errors.push(`${error.message} (kernels in this submit: ${this.batchKernels.join(', ') || 'none'})`);
    });
    this.lost = device.lost;
  }

  static fromAcquired({ device, report }: AcquiredDevice): GpuContext {
    return new GpuContext(device, report);
  }

  get memory(): ArenaStats {
    return this.arena.stats;
  }

  get maxBindingBytes(): number {
    return this.device.limits.maxStorageBufferBindingSize;
  }

  kernel(spec: KernelSpec): Kernel {
    if (!this.rehearsal) return this.kernels.get(spec);
    const key = this.kernels.keyOf(spec);
    if (!this.kernels.has(key)) this.rehearsal.set(key, spec);
    return {
      name: spec.name,
      key,
      get pipeline(): GPUComputePipeline {
        throw new GpuError(`kernel '${spec.name}': a rehearsal has no pipelines (it records no GPU work)`);
      },
    };
  }

  /**
   * Creates every pipeline `work` would use, ahead of it and all at once (KernelRegistry.prepare). `work` is
   * rehearsed first: the same host code runs, so the kernels and their specializations are the ones real work
   * picks, but nothing reaches the GPU: no dispatch, copy, clear or write is recorded, and a read is refused.
   * Tensors it allocates are real (zeroed, or holding their data), as the real work would find them. `work` is
   * synchronous, so no other caller's work can run (and be dropped) while the rehearsal is on.
   */
  async prepareKernels(work: () => void): Promise<number> {
    const specs = new Map<string, KernelSpec>();
    this.rehearsal = specs;
    try {
      work();
    } finally {
      this.rehearsal = null;
    }
    await this.kernels.prepare(specs.values());
    return specs.size;
  }

  /** Whether a rehearsal (prepareKernels) is running: nothing recorded now reaches the GPU. */
  get rehearsing(): boolean {
    return this.rehearsal !== null;
  }

  /** A new tensor; contents are zero unless `data` is given. */
  tensor(shape: readonly number[], dtype: DType = 'f32', label = 'tensor', data?: ArrayBufferView): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensor '${label}': bad shape [${shape.join(', ')}]`);
    }
    const bytes = shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype];
    const buffer = this.arena.allocate(bytes, this.storageUsage, label);
    const tensor = new Tensor(buffer, shape, dtype, label);
    // A new tensor starts as it would outside a rehearsal: it may be kept and used by real work afterwards.
    if (data) this.writeNow(tensor, data);
    else if (buffer.size > 0) this.zeroNow(tensor); // pooled buffers may hold old data
    return tensor;
  }

  write(tensor: Tensor, data: ArrayBufferView): void {
    if (!this.rehearsal) this.writeNow(tensor, data);
  }

  /** Records a clear of the tensor's memory to zero (only its own bytes when it is a view). */
  zero(tensor: Tensor): void {
    if (!this.rehearsal) this.zeroNow(tensor);
  }

  private writeNow(tensor: Tensor, data: ArrayBufferView): void {
    if (tensor.byteOffset + data.byteLength > tensor.buffer.size) {
      throw new RangeError(`write: ${data.byteLength} bytes do not fit ${tensor}`);
    }
    // Writes land on the queue timeline, so earlier recorded work must be submitted first to keep order.
    this.flush();
    const padded = data.byteLength % 4 === 0 ? data.byteLength : data.byteLength + (4 - (data.byteLength % 4));
    if (padded !== data.byteLength) {
      const copy = new Uint8Array(padded);
      copy.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      this.device.queue.writeBuffer(tensor.buffer, tensor.byteOffset, copy);
    } else {
      this.device.queue.writeBuffer(tensor.buffer, tensor.byteOffset, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  private zeroNow(tensor: Tensor): void {
    this.endPass();
    const size = tensor.byteOffset === 0 ? undefined : Math.ceil(tensor.byteSize / 4) * 4;
    this.ensureEncoder().clearBuffer(tensor.buffer, tensor.byteOffset, size);
  }

  /** Returns a tensor's buffer to the pool for reuse. */
  release(tensor: Tensor): void {
    this.arena.release(tensor.buffer);
  }

  /** Records one compute dispatch. */
  dispatch(kernel: Kernel, params: Params | null, bindings: readonly Binding[], workgroups: Workgroups): void {
    const [x, y = 1, z = 1] = workgroups;
    const maxGroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxGroups || y > maxGroups || z > maxGroups || x < 0 || y < 0 || z < 0) {
      throw new GpuError(
        `kernel '${kernel.name}': dispatch of ${x}×${y}×${z} workgroups exceeds this adapter's ` +
          `maxComputeWorkgroupsPerDimension (${maxGroups})`,
      );
    }
    if (x === 0 || y === 0 || z === 0 || this.rehearsal) return;
    const entries: GPUBindGroupEntry[] = [];
    const keyParts: (string | number)[] = [kernel.key];
    let slot = 0;
    if (params) {
      const resource = this.uniforms.push(params);
      entries.push({ binding: slot++, resource });
      keyParts.push(this.idOf(resource.buffer), resource.offset ?? 0, resource.size ?? 0);
    }
    for (const b of bindings) {
      const buffer = b instanceof Tensor ? b.buffer : b;
      const offset = b instanceof Tensor ? b.byteOffset : 0;
      const size = b instanceof Tensor ? Math.max(4, Math.ceil(b.byteSize / 4) * 4) : b.size;
      if (size > this.maxBindingBytes) {
        throw new GpuError(
          `kernel '${kernel.name}': ${b instanceof Tensor ? b.toString() : buffer.label} is ${size} bytes, more than ` +
            `one binding may hold on this adapter (maxStorageBufferBindingSize ${this.maxBindingBytes}); split it`,
        );
      }
      entries.push({ binding: slot++, resource: { buffer, offset, size } });
      keyParts.push(this.idOf(buffer), offset, size);
    }
    const key = keyParts.join(':');
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size > 8192) this.bindGroups.clear();
      group = this.device.createBindGroup({ layout: kernel.pipeline.getBindGroupLayout(0), entries, label: kernel.name });
      this.bindGroups.set(key, group);
    }
    if (this.profiler) {
      this.endPass();
      const encoder = this.ensureEncoder();
      this.pass = encoder.beginComputePass(this.profiler.passFor(`${kernel.name} ${x}×${y}×${z}`, encoder));
    }
    const pass = this.ensurePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.endPass();
    this.batchKernels.push(kernel.name);
    this.dispatches++;
  }

  /** Records a buffer-to-buffer copy. */
  copy(src: Binding, dst: Binding, bytes?: number, srcOffset = 0, dstOffset = 0): void {
    if (this.rehearsal) return;
    const s = src instanceof Tensor ? src.buffer : src;
    const d = dst instanceof Tensor ? dst.buffer : dst;
    const n = bytes ?? (src instanceof Tensor ? src.byteSize : s.size);
    const srcBase = src instanceof Tensor ? src.byteOffset : 0;
    const dstBase = dst instanceof Tensor ? dst.byteOffset : 0;
    this.endPass();
    this.ensureEncoder().copyBufferToBuffer(s, srcBase + srcOffset, d, dstBase + dstOffset, n);
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.profiler?.resolve(this.encoder);
    this.uniforms.flush();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.submits++;
    this.batchKernels = [];
  }

  /** Submits and waits for the GPU; throws the first compile or validation error seen. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  /** Copies a tensor (or its first `count` elements) back to the host. The only way data leaves the GPU. */
  async read(tensor: Tensor, count = tensor.size): Promise<Float32Array | Uint32Array | Int32Array> {
    if (this.rehearsal) throw new GpuError(`read of ${tensor}: a rehearsal reads nothing back (it records no GPU work)`);
    const bytes = Math.ceil((count * BYTES_PER_ELEMENT[tensor.dtype]) / 4) * 4;
    const staging = this.device.createBuffer({
      size: Math.max(4, bytes),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: `readback:${tensor.label}`,
    });
    try {
      this.copy(tensor, staging, bytes);
      this.flush();
      await staging.mapAsync(GPUMapMode.READ);
      await this.checkErrors();
      const raw = staging.getMappedRange().slice(0);
      staging.unmap();
      switch (tensor.dtype) {
        case 'u32':
          return new Uint32Array(raw, 0, count);
        case 'i32':
          return new Int32Array(raw, 0, count);
        case 'f16':
          return halfToFloat(new Uint16Array(raw, 0, count));
        default:
          return new Float32Array(raw, 0, count);
      }
    } finally {
      staging.destroy();
    }
  }

  async readF32(tensor: Tensor): Promise<Float32Array> {
    const data = await this.read(tensor);
    return data instanceof Float32Array ? data : Float32Array.from(data);
  }

  destroy(): void {
    this.flush();
    this.device.destroy();
  }

  /**
   * Frees every buffer this context made and leaves the device to the next context on it (a CLI command after
   * another in one process): its compiled pipelines stay with the device (registry.ts).
   */
  async close(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.arena.destroyAll();
  }

  private async checkErrors(): Promise<void> {
    await this.kernels.ready();
    if (this.errors.length) {
      const message = this.errors.splice(0).join('\n');
      throw new GpuError(`WebGPU validation error: ${message}`);
    }
  }

  private idOf(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(buffer, id);
    }
    return id;
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webtune-step' });
    return this.encoder;
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.ensureEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
}

function halfToFloat(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * 2 ** -14 * (frac / 1024);
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  return out;
}
