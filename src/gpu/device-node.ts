/**
 * WebGPU in Node through the `webgpu` package (Dawn). Prefers the system's Vulkan GPU; when there is none,
 * falls back to SwiftShader, the CPU Vulkan driver inside Debian's `chromium` package, and says so.
 * Node-only: never imported by the browser bundle.
 */
import { existsSync } from 'node:fs';
import { acquireDevice, type AcquiredDevice, WebGPUUnavailableError } from './device';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

async function loadDawn(): Promise<{ create: (flags: string[]) => GPU; globals: object }> {
  // Loaded lazily so a missing native module becomes a clear error, not an import crash.
  return (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: object };
}

function isSoftware(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  return (
    Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
    /swiftshader|llvmpipe|lavapipe/i.test(`${info.vendor} ${info.architecture} ${info.description}`)
  );
}

/** Dawn's GPU objects must outlive every device made from them: a collected instance takes its devices down. */
const instances: GPU[] = [];

export async function acquireNodeDevice(options: { limits?: 'adapter' | 'default' } = {}): Promise<AcquiredDevice> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, … as in a browser
  const explicitIcd = process.env.VK_ICD_FILENAMES;
  if (!explicitIcd) {
    const gpu = dawn.create([]);
    instances.push(gpu);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter && !isSoftware(adapter)) return acquireDevice(gpu, options);
    if (!existsSync(SWIFTSHADER_ICD)) {
      if (adapter) return acquireDevice(gpu, options);
      throw new WebGPUUnavailableError(
        'no-adapter',
        `No Vulkan GPU found and no SwiftShader at ${SWIFTSHADER_ICD}. Install a GPU driver, or ` +
          `'apt-get install -y chromium libvulkan1' for the software fallback.`,
      );
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  const gpu = dawn.create([]);
  instances.push(gpu);
  const acquired = await acquireDevice(gpu, {
    ...options,
    notice: explicitIcd
      ? undefined
      : `No Vulkan GPU found: using SwiftShader (${SWIFTSHADER_ICD}), a CPU implementation. Expect low speed.`,
  });
  return acquired;
}
