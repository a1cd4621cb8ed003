/**
 * The CLI's GPU: one device per process, and a fresh GpuContext (its own buffers and pipeline set) per command on
 * it. Compiled pipelines are kept per device (gpu/registry.ts), so a command run after another in one process —
 * the CLI's tests run dozens through `main` — compiles nothing the earlier one compiled (about a second a pipeline
 * on SwiftShader). A command closes its context on every way out (its buffers freed); bin/webtune.mjs releases the
 * device once `main` returns, since a live device keeps Node's process alive.
 */
import type { AcquiredDevice } from '../gpu/device';
import { acquireNodeDevice } from '../gpu/device-node';
import { GpuContext } from '../gpu/context';
import { log } from './output';

let shared: Promise<AcquiredDevice> | null = null;

/** A context for one command on the process's device, acquired on first use (again after a loss). */
export async function commandContext(): Promise<GpuContext> {
  if (!shared) {
    const pending = acquireNodeDevice().then((acquired) => {
      void acquired.device.lost.then(() => {
        if (shared === pending) shared = null;
      });
      return acquired;
    });
    shared = pending;
  }
  const pending = shared;
  let acquired: AcquiredDevice;
  try {
    acquired = await pending;
  } catch (error) {
    if (shared === pending) shared = null; // the next command tries again rather than repeating this failure
    throw error;
  }
  if (acquired.report.notice) log(`webtune: ${acquired.report.notice}`);
  return GpuContext.fromAcquired(acquired);
}

/** Destroys the process's device, if one was acquired: the end of `webtune`'s process. */
export async function releaseCommandDevice(): Promise<void> {
  const pending = shared;
  shared = null;
  if (!pending) return;
  try {
    (await pending).device.destroy();
  } catch {
    // A device that was never acquired has nothing to release.
  }
}
