/**
 * Kernel registry: each WGSL source is compiled once per specialization (its `override` constants), and
 * pipelines are cached by (kernel name, constants). A compile error names the kernel and carries the WGSL
 * compiler's messages with line numbers; it surfaces at the next `GpuContext.flush()`/`read()` or `ready()`.
 *
 * `get` creates a pipeline on first use, synchronously. `prepare` creates many ahead of use, all at once with
 * createComputePipelineAsync, so that an implementation that compiles on several threads (Chrome's GPU process)
 * does, and neither Start nor the first token waits on one compile after another (GpuContext.prepareKernels
 * learns which specializations a piece of work needs).
 *
 * Compiled pipelines are kept per device, not per registry: a second GpuContext on the same device (a CLI command
 * after another in one process, a test's fresh context, a context that reports another adapter kind) takes a
 * specialization another compiled instead of compiling it again, which on a CPU implementation costs about a second
 * a pipeline. Each registry still keeps its own set of what its work asked for (`size`, `has`).
 */

export type OverrideConstants = Record<string, number>;

export interface KernelSpec {
  /** Name of the kernel, the WGSL file's base name, e.g. `rmsnorm_forward`. */
  name: string;
  code: string;
  constants?: OverrideConstants;
  entryPoint?: string;
}

export interface Kernel {
  readonly name: string;
  /** Unique id of this specialization, used in bind-group cache keys. */
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
}

export class KernelCompileError extends Error {
  constructor(
    readonly kernel: string,
    readonly messages: string[],
  ) {
    super(`WGSL kernel '${kernel}' failed to compile:\n${messages.join('\n')}`);
    this.name = 'KernelCompileError';
  }
}

/**
 * Every pipeline that compiled without error on a device, by specialization key and WGSL source (two registries may
 * give one name different code: the kernels choose their source by the adapter's kind).
 */
const compiledOnDevice = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function compiledKeyOf(key: string, spec: KernelSpec): string {
  return `${key}\n${spec.code}`;
}

export class KernelRegistry {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Kernel>();
  private readonly pending: Promise<void>[] = [];
  private failure: KernelCompileError | null = null;

  private readonly compiled: Map<string, GPUComputePipeline>;

  constructor(private readonly device: GPUDevice) {
    let compiled = compiledOnDevice.get(device);
    if (!compiled) {
      compiled = new Map();
      compiledOnDevice.set(device, compiled);
    }
    this.compiled = compiled;
  }

  /** The cache key of a specialization: kernel, entry point and constants. */
  keyOf(spec: KernelSpec): string {
    const constants = spec.constants ?? {};
    const constKey = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',');
    return `${spec.name}#${spec.entryPoint ?? 'main'}{${constKey}}`;
  }

  has(key: string): boolean {
    return this.pipelines.has(key);
  }

  get(spec: KernelSpec): Kernel {
    const key = this.keyOf(spec);
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const compiledKey = compiledKeyOf(key, spec);
    const compiled = this.compiled.get(compiledKey);
    if (compiled) return this.keep(spec, key, compiled);

    // One error scope around module and pipeline creation, so a bad kernel is reported by name here and
    // never reaches the device's uncaptured-error handler (which would blame whatever is submitted next).
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline(this.descriptor(spec, key));
    this.pending.push(
      this.device.popErrorScope().then((error) => {
        if (!error) this.compiled.set(compiledKey, pipeline);
        else if (!this.failure) this.failure = new KernelCompileError(spec.name, [error.message]);
      }),
    );
    return this.keep(spec, key, pipeline);
  }

  /**
   * Creates the pipelines of `specs` that do not exist yet, all at once; resolves when every one exists, and
   * throws the first compile error (by kernel name, as `get` reports it).
   */
  async prepare(specs: Iterable<KernelSpec>): Promise<void> {
    const wanted = new Map<string, KernelSpec>();
    for (const spec of specs) {
      const key = this.keyOf(spec);
      if (this.pipelines.has(key)) continue;
      const compiled = this.compiled.get(compiledKeyOf(key, spec));
      if (compiled) this.keep(spec, key, compiled);
      else wanted.set(key, spec);
    }
    const made = await Promise.allSettled(
      [...wanted].map(async ([key, spec]) => {
        this.device.pushErrorScope('validation');
        const descriptor = this.descriptor(spec, key);
        const error = await this.device.popErrorScope(); // a module that does not even parse
        if (error) throw new KernelCompileError(spec.name, [error.message]);
        try {
          return { key, spec, pipeline: await this.device.createComputePipelineAsync(descriptor) };
        } catch (err) {
          throw new KernelCompileError(spec.name, [err instanceof Error ? err.message : String(err)]);
        }
      }),
    );
    for (const result of made) {
      // A `get` of the same specialization while this one compiled made its own: keep that one.
      if (result.status === 'fulfilled' && !this.pipelines.has(result.value.key)) {
        const { spec, key, pipeline } = result.value;
        this.compiled.set(compiledKeyOf(key, spec), pipeline);
        this.keep(spec, key, pipeline);
      }
    }
    await this.ready();
    const failed = made.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Resolves when every kernel made so far has compiled; throws the first compile error. */
  async ready(): Promise<void> {
    const pending = this.pending.splice(0);
    await Promise.all(pending);
    if (this.failure) throw this.failure;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private descriptor(spec: KernelSpec, key: string): GPUComputePipelineDescriptor {
    let module = this.modules.get(spec.name);
    if (!module) {
      module = this.device.createShaderModule({ code: spec.code, label: spec.name });
      this.modules.set(spec.name, module);
      this.track(spec.name, module);
    }
    return { label: key, layout: 'auto', compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants ?? {} } };
  }

  private keep(spec: KernelSpec, key: string, pipeline: GPUComputePipeline): Kernel {
    const kernel: Kernel = { name: spec.name, key, pipeline };
    this.pipelines.set(key, kernel);
    return kernel;
  }

  private track(name: string, module: GPUShaderModule): void {
    this.pending.push(
      module.getCompilationInfo().then((info) => {
        const errors = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `  ${name}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`);
        if (errors.length) this.failure = new KernelCompileError(name, errors);
      }),
    );
  }
}
