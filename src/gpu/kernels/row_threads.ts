/**
 * Threads per workgroup for the kernels that reduce one row per workgroup (RMSNorm forward and backward, the
 * cross-entropy chunk statistics), chosen for the device as matvecShapeFor chooses the decode layout.
 */
import type { GpuContext } from '../context';
import { isSoftwareAdapter } from '../device';

/** Threads per row on a CPU implementation of WebGPU; a power of two for the tree reductions. */
const SOFTWARE_ROW_THREADS = 8;

/**
 * A CPU implementation (SwiftShader) runs a workgroup's threads as SIMD lanes and splits the shader at every
 * barrier, so a row is cheapest with few threads and few reduction steps: RMSNorm forward on 256×64 took 5.06 ms
 * with 32 threads and 1.06 ms with 8 (256×576: 6.94 → 2.74 ms). A GPU keeps `gpuThreads` (a power of two), which
 * reads a row side by side.
 */
export function rowThreadsFor(ctx: GpuContext, gpuThreads: number): number {
  return isSoftwareAdapter(ctx.report) ? SOFTWARE_ROW_THREADS : gpuThreads;
}
