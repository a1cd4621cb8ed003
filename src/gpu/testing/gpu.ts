/**
 * Test rig: one real WebGPU device per test worker (the system GPU, else SwiftShader). A missing adapter
 * fails the test run; kernel tests are never skipped.
 */
import { GpuContext } from '../context';
import { acquireNodeDevice } from '../device-node';

let shared: Promise<GpuContext> | null = null;

export function testContext(): Promise<GpuContext> {
  shared ??= acquireNodeDevice().then((acquired) => GpuContext.fromAcquired(acquired));
  return shared;
}

/** The two kinds of device whose kernel layouts differ (isSoftwareAdapter): this rig's own, and a GPU's. */
export type DeviceLayout = 'software' | 'gpu';

const gpuLayout = new Map<GpuContext, GpuContext>();

/**
 * A context on the shared device whose adapter says what `layout` names: the shared one for 'software' (the rig
 * runs SwiftShader), or one that reports a hardware GPU, so the kernels choose a GPU's thread layouts and run them here.
 */
export async function layoutContext(layout: DeviceLayout): Promise<GpuContext> {
  const shared = await testContext();
  if (layout === 'software') return shared;
  let ctx = gpuLayout.get(shared);
  if (!ctx) {
    const report = { ...shared.report, isFallbackAdapter: false, vendor: 'test', architecture: 'test', description: 'a hardware GPU' };
    ctx = new GpuContext(shared.device, report);
    gpuLayout.set(shared, ctx);
  }
  return ctx;
}
