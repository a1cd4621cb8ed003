/**
 * Kernel registry: each WGSL source is compiled once per specialization (its `override` constants), and
 * pipelines are cached by (kernel name, constants). A compile error names the kernel and carries the WGSL
 * compiler's messages with line numbers; it surfaces at the next `GpuContext.flush()`/`read()` or `ready()`.
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

export class KernelRegistry {
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly pipelines = new Map<string, Kernel>();
  private readonly pending: Promise<void>[] = [];
  private failure: KernelCompileError | null = null;

  constructor(private readonly device: GPUDevice) {}

  get(spec: KernelSpec): Kernel {
    const constants = spec.constants ?? {};
    const constKey = Object.keys(constants)
      .sort()
      .map((k) => `${k}=${constants[k]}`)
      .join(',');
    const key = `${spec.name}#${spec.entryPoint ?? 'main'}{${constKey}}`;
    const cached = this.pipelines.get(key);
    if (cached) return cached;

    // One error scope around module and pipeline creation, so a bad kernel is reported by name here and
    // never reaches the device's uncaptured-error handler (which would blame whatever is submitted next).
    this.device.pushErrorScope('validation');
    let module = this.modules.get(spec.name);
    if (!module) {
      module = this.device.createShaderModule({ code: spec.code, label: spec.name });
      this.modules.set(spec.name, module);
      this.track(spec.name, module);
    }
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: spec.entryPoint ?? 'main', constants },
    });
    this.pending.push(
      this.device.popErrorScope().then((error) => {
        if (error && !this.failure) this.failure = new KernelCompileError(spec.name, [error.message]);
      }),
    );
    const kernel: Kernel = { name: spec.name, key, pipeline };
    this.pipelines.set(key, kernel);
    return kernel;
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
