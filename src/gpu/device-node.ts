/**
 * WebGPU in Node through the `webgpu` package (Dawn). Prefers the system's Vulkan GPU; when there is none,
 * falls back to SwiftShader, the CPU Vulkan driver inside Debian's `chromium` package, and says so.
 * Node-only: never imported by the browser bundle.
 */
import { existsSync } from 'node:fs';
import { setPriority } from 'node:os';
import { acquireDevice, type AcquiredDevice, WebGPUUnavailableError } from './device';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Dawn switches for SwiftShader (Node's `dawn.create` flags; Chromium takes the same with a leading `--`).
 * SwiftShader's own zero-initialisation of workgroup memory (VK_KHR_zero_initialize_workgroup_memory) makes its
 * compile time grow faster than the workgroup arrays: a matmul pipeline with 16 KiB of tiles took 1.9 s to create
 * with it and 0.27 s with Tint writing the zeros in the shader instead, as Dawn does on drivers without the
 * extension (one createComputePipeline each on a fresh device). Memory is zeroed either way; only who writes the
 * zeros differs.
 */
export const SWIFTSHADER_DAWN_FLAGS = ['disable-dawn-features=use_vulkan_zero_initialize_workgroup_memory_extension'];

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

/**
 * The nice value the main thread takes once a SwiftShader device exists. Dawn's Node binding waits for every
 * pending GPU operation (onSubmittedWorkDone, mapAsync) by scheduling its event processing again and again on the
 * main thread, a busy loop that took about half the samples of a profiled wait; on a CPU implementation it competes
 * with the implementation's own worker threads for the cores. Linux keeps a nice value per thread, so this lowers
 * only the calling (main) thread and threads it makes later, not SwiftShader's workers, made with the device: 40
 * attention backwards at stories260K's shape took 5.8–6.4 s at nice 0, 5.1 s at 5, 4.3 s at 10, 3.7–4.0 s at 19.
 * The host code is not slowed where it does not compete with GPU work (the cores are then free).
 */
const SWIFTSHADER_MAIN_THREAD_NICE = 19;

function instance(dawn: { create: (flags: string[]) => GPU }, flags: string[]): GPU {
  const gpu = dawn.create(flags);
  instances.push(gpu);
  return gpu;
}

function yieldToSwiftShader(): void {
  try {
    setPriority(SWIFTSHADER_MAIN_THREAD_NICE);
  } catch {
    // A platform or sandbox that refuses it only loses the speed-up.
  }
}

export async function acquireNodeDevice(options: { limits?: 'adapter' | 'default' } = {}): Promise<AcquiredDevice> {
  const dawn = await loadDawn();
  Object.assign(globalThis, dawn.globals); // GPUBufferUsage, GPUMapMode, … as in a browser
  const explicitIcd = process.env.VK_ICD_FILENAMES;
  if (!explicitIcd) {
    const gpu = instance(dawn, []);
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
  // Without an explicit driver it is SwiftShader by now; an explicit one may be any driver, so ask it first.
  const plain = explicitIcd ? instance(dawn, []) : null;
  const probe = plain ? await plain.requestAdapter({ powerPreference: 'high-performance' }) : null;
  const software = !plain || (probe !== null && isSoftware(probe));
  const gpu = plain && !software ? plain : instance(dawn, SWIFTSHADER_DAWN_FLAGS);
  const acquired = await acquireDevice(gpu, {
    ...options,
    notice: explicitIcd
      ? undefined
      : `No Vulkan GPU found: using SwiftShader (${SWIFTSHADER_ICD}), a CPU implementation. Expect low speed.`,
  });
  if (software) yieldToSwiftShader();
  return acquired;
}
