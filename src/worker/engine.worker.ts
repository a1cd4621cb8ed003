/**
 * The engine worker: the only place in the studio that touches the GPU. It acquires the device on the first
 * request, keeps one GpuContext for the life of the device, and tells the studio when the device is lost.
 */
import { GpuContext } from '../gpu/context';
import { acquireDevice, WebGPUUnavailableError } from '../gpu/device';
import type { DeviceLoss, EngineFailure, FromEngine, ToEngine } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<GpuContext> | null = null;

function post(message: FromEngine): void {
  self.postMessage(message);
}

function failureOf(error: unknown): EngineFailure {
  const secureContext = self.isSecureContext;
  if (error instanceof WebGPUUnavailableError) return { reason: error.reason, message: error.message, secureContext };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { reason: 'internal', message, secureContext };
}

function watchForLoss(context: GpuContext, pending: Promise<GpuContext>): void {
  void context.lost.then((info) => {
    // Forget the dead context so the next probe acquires a fresh device.
    if (engine === pending) engine = null;
    const loss: DeviceLoss = { reason: info.reason, message: info.message || 'The GPU device was lost.' };
    post({ kind: 'device-lost', loss });
  });
}

function getEngine(): Promise<GpuContext> {
  if (engine) return engine;
  const pending = acquireDevice(self.navigator.gpu).then((acquired) => {
    const context = GpuContext.fromAcquired(acquired);
    watchForLoss(context, pending);
    return context;
  });
  engine = pending;
  // A failed acquisition is not cached: the user may fix the cause (a flag, a driver) and ask again.
  pending.catch(() => {
    if (engine === pending) engine = null;
  });
  return pending;
}

async function handle(request: ToEngine): Promise<void> {
  switch (request.kind) {
    case 'probe': {
      try {
        const context = await getEngine();
        post({ kind: 'probe-result', id: request.id, report: context.report });
      } catch (error) {
        post({ kind: 'request-failed', id: request.id, failure: failureOf(error) });
      }
      return;
    }
  }
}

self.addEventListener('message', (event: MessageEvent<ToEngine>) => {
  void handle(event.data);
});
