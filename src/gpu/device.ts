/**
 * Device acquisition: asks the adapter for its highest limits and the optional features we can use,
 * and reports exactly what it got. Works with any `GPU` object: `navigator.gpu` in a page or worker,
 * or the `webgpu` package's GPU in Node (see `device-node.ts`).
 */

/** Limits we raise to the adapter's maximum: big tensors and big workgroups are what training needs. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxBindGroups',
] as const;

/** Optional features, requested when offered; every kernel also has a path without them. */
export const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;
export type OptionalFeature = (typeof OPTIONAL_FEATURES)[number];

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** Optional features we asked for and got. */
  features: OptionalFeature[];
  /** Every feature the adapter offers, for display. */
  adapterFeatures: string[];
  limits: Record<(typeof RAISED_LIMITS)[number] | 'minUniformBufferOffsetAlignment', number>;
  /** A sentence for the user when the device is not what they would expect (e.g. a CPU fallback). */
  notice?: string;
  /**
   * The GPU's own memory in bytes, when the adapter reports it (its device-local memory heaps: Dawn and Chrome give
   * them with the memory-heaps adapter property); the memory plan's default budget is a share of it.
   */
  memoryBytes?: number;
}

/** A CPU implementation of WebGPU (SwiftShader, llvmpipe, lavapipe, or an adapter that says it is a fallback). */
export function isSoftwareAdapter(report: Pick<AdapterReport, 'isFallbackAdapter' | 'vendor' | 'architecture' | 'description'>): boolean {
  return report.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${report.vendor} ${report.architecture} ${report.description}`);
}

/** Dawn's flag for a heap in the GPU's own memory (wgpu::HeapProperty::DeviceLocal). */
const HEAP_DEVICE_LOCAL = 0x1;

/** Bytes of device-local memory the adapter reports, or undefined when it reports none. */
function deviceLocalBytes(info: GPUAdapterInfo): number | undefined {
  const heaps = (info as { memoryHeaps?: readonly { size: number | bigint; properties: number }[] }).memoryHeaps;
  if (!heaps?.length) return undefined;
  const total = heaps.filter((h) => (h.properties & HEAP_DEVICE_LOCAL) !== 0).reduce((sum, h) => sum + Number(h.size), 0);
  return total > 0 ? total : undefined;
}

export interface AcquiredDevice {
  device: GPUDevice;
  report: AdapterReport;
}

export class WebGPUUnavailableError extends Error {
  constructor(
    readonly reason: 'no-webgpu' | 'no-adapter' | 'device-failed',
    message: string,
  ) {
    super(message);
    this.name = 'WebGPUUnavailableError';
  }
}

export async function acquireDevice(
  gpu: GPU | undefined,
  options: {
    powerPreference?: GPUPowerPreference;
    notice?: string;
    /**
     * 'adapter' (default): every limit in RAISED_LIMITS as high as the adapter allows. 'default': WebGPU's default
     * limits only, as the most restricted device a user may have (tests check the engine still works there).
     */
    limits?: 'adapter' | 'default';
  } = {},
): Promise<AcquiredDevice> {
  if (!gpu) {
    throw new WebGPUUnavailableError(
      'no-webgpu',
      'This browser does not expose WebGPU (navigator.gpu is missing). Use a recent Chrome or Edge (113+), ' +
        'or enable WebGPU in your browser flags (chrome://flags/#enable-unsafe-webgpu).',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'no-adapter',
      'WebGPU is present but no GPU adapter was offered. Your GPU or driver may be blocklisted: update the ' +
        'graphics driver, check chrome://gpu, or enable chrome://flags/#enable-unsafe-webgpu.',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of options.limits === 'default' ? [] : RAISED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures: features as GPUFeatureName[] });
  } catch (err) {
    throw new WebGPUUnavailableError('device-failed', `The GPU adapter refused to create a device: ${String(err)}`);
  }
  const info = adapter.info;
  const limits = {} as AdapterReport['limits'];
  for (const name of [...RAISED_LIMITS, 'minUniformBufferOffsetAlignment'] as const) {
    limits[name] = (device.limits as unknown as Record<string, number>)[name];
  }
  const isFallbackAdapter = Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const report: AdapterReport = {
    vendor: info.vendor || 'unknown',
    architecture: info.architecture || 'unknown',
    device: info.device || '',
    description: info.description || '',
    isFallbackAdapter,
    features: features.filter((f) => device.features.has(f)),
    adapterFeatures: [...adapter.features].map(String).sort(),
    limits,
    memoryBytes: deviceLocalBytes(info),
    notice:
      options.notice ??
      (isFallbackAdapter || /swiftshader/i.test(`${info.vendor} ${info.architecture}`)
        ? 'Running on a software (CPU) WebGPU adapter: everything works, but training is far slower than on a GPU.'
        : undefined),
  };
  return { device, report };
}
