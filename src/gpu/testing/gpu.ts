/**
 * Test rig: one real WebGPU device per test worker (the system GPU, else SwiftShader). A missing adapter
 * fails the test run; kernel tests are never skipped.
 */
import { GpuContext } from '../context';
import { isSoftwareAdapter } from '../device';
import { acquireNodeDevice } from '../device-node';

let shared: Promise<GpuContext> | null = null;

export function testContext(): Promise<GpuContext> {
  shared ??= acquireNodeDevice().then((acquired) => GpuContext.fromAcquired(acquired));
  return shared;
}

/** The two kinds of device whose kernel layouts differ (isSoftwareAdapter): a CPU implementation and a GPU. */
export type DeviceLayout = 'software' | 'gpu';

/** What an adapter of each kind reports, as far as isSoftwareAdapter looks. */
const LAYOUT_REPORTS = {
  software: { isFallbackAdapter: true },
  gpu: { isFallbackAdapter: false, vendor: 'test', architecture: 'test', description: 'a hardware GPU' },
} as const;

const layoutContexts = new Map<DeviceLayout, GpuContext>();

/**
 * A context on the shared device whose adapter is of `layout`'s kind, so the kernels choose that kind's thread
 * layouts and run them here: the shared context when its adapter is that kind already, else one that says it is.
 */
export async function layoutContext(layout: DeviceLayout): Promise<GpuContext> {
  const shared = await testContext();
  if (isSoftwareAdapter(shared.report) === (layout === 'software')) return shared;
  let ctx = layoutContexts.get(layout);
  if (!ctx) {
    ctx = new GpuContext(shared.device, { ...shared.report, ...LAYOUT_REPORTS[layout] });
    layoutContexts.set(layout, ctx);
  }
  return ctx;
}
