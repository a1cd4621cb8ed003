/**
 * TF.js's WebGPU backend on a GPUDevice we already hold, so both sides of the benchmark run on the same adapter,
 * the same device and the same queue. Benchmark-only: nothing under src/ may import TF.js.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export interface TfjsOnDevice {
  tf: typeof TfCore;
  backend: WebGPUBackend;
  /** How TF.js got its device, for the report. */
  sharing: string;
}

/**
 * Registers TF.js's 'webgpu' backend over `device`. TF.js looks for `navigator.gpu` before it will construct a
 * backend; Node has no navigator (or one without `gpu`), so a stub is installed — TF.js's matmul and elementwise
 * paths never call it, they only use the device they are given.
 */
export async function tfjsOnDevice(device: GPUDevice, adapterInfo?: GPUAdapterInfo): Promise<TfjsOnDevice> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  if (!g.navigator!.gpu) Object.defineProperty(g.navigator, 'gpu', { value: {}, configurable: true });
  const tf = await import('@tensorflow/tfjs-core');
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  // The package registers a 'webgpu' factory that would request its own adapter; ours hands it our device.
  // Kernels are registered per backend *name*, so ours must keep the name 'webgpu'.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(device, adapterInfo), 100);
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js refused the webgpu backend on our device');
  await tf.ready();
  const backend = tf.backend() as WebGPUBackend;
  if (backend.device !== device) throw new Error('TF.js made its own device; the comparison would not be fair');
  return { tf, backend, sharing: 'same GPUDevice (new WebGPUBackend(device)), same queue' };
}

/** Submits TF.js's recorded commands so that `queue.onSubmittedWorkDone()` covers them. */
export function tfjsSubmit(backend: WebGPUBackend): void {
  const b = backend as unknown as { commandEncoder: GPUCommandEncoder | null; endComputePassEncoder(): void; submitQueue(): void };
  if (!b.commandEncoder) return;
  b.endComputePassEncoder();
  b.submitQueue();
}
