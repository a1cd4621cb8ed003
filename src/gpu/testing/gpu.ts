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
