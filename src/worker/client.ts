/**
 * The main thread's handle on the engine worker: one promise-returning method per request kind, so the studio
 * never sees messages. Device loss and worker crashes arrive through the listeners given at construction.
 */
import type { AdapterReport } from '../gpu/device';
import type { DeviceLoss, EngineFailure, EngineReply, FromEngine, ToEngine } from './protocol';

export class EngineRequestError extends Error {
  constructor(readonly failure: EngineFailure) {
    super(failure.message);
    this.name = 'EngineRequestError';
  }
}

export interface EngineListeners {
  /** The device worked, then went away; the next request acquires a new one. */
  deviceLost(loss: DeviceLoss): void;
  /** The worker could not load or crashed; every pending request has been rejected. */
  workerFailed(failure: EngineFailure): void;
}

interface Pending {
  settle(reply: EngineReply): void;
  fail(error: EngineRequestError): void;
}

function spawnEngineWorker(): Worker {
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'webtune-engine' });
}

export class EngineClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed: EngineFailure | null = null;

  constructor(
    private readonly listeners: EngineListeners,
    private readonly worker: Worker = spawnEngineWorker(),
  ) {
    worker.addEventListener('message', (event: MessageEvent<FromEngine>) => this.receive(event.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.crash(event.message || 'The engine worker failed to load.');
    });
    worker.addEventListener('messageerror', () => this.crash('A message from the engine worker could not be read.'));
  }

  /** Acquires the GPU device (once) and returns what the adapter granted. */
  probe(): Promise<AdapterReport> {
    return this.request({ kind: 'probe', id: this.nextId++ }, (reply) =>
      reply.kind === 'probe-result' ? reply.report : undefined,
    );
  }

  /** Stops the worker; the device goes with it. */
  dispose(): void {
    this.close({ reason: 'worker-failed', message: 'The engine was shut down.', secureContext: isSecureContext });
    this.worker.terminate();
  }

  /** `pick` returns the result carried by the expected reply kind, or undefined for any other kind. */
  private request<T>(message: ToEngine, pick: (reply: EngineReply) => T | undefined): Promise<T> {
    if (this.closed) return Promise.reject(new EngineRequestError(this.closed));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(message.id, {
        settle: (reply) => {
          if (reply.kind === 'request-failed') return reject(new EngineRequestError(reply.failure));
          const result = pick(reply);
          if (result === undefined) {
            const text = `Engine answered '${message.kind}' with '${reply.kind}'.`;
            return reject(new EngineRequestError({ reason: 'internal', message: text, secureContext: isSecureContext }));
          }
          resolve(result);
        },
        fail: reject,
      });
      this.worker.postMessage(message);
    });
  }

  private receive(message: FromEngine): void {
    if (message.kind === 'device-lost') {
      this.listeners.deviceLost(message.loss);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    pending.settle(message);
  }

  private crash(message: string): void {
    if (this.closed) return;
    const failure: EngineFailure = { reason: 'worker-failed', message, secureContext: isSecureContext };
    this.close(failure);
    this.listeners.workerFailed(failure);
  }

  private close(failure: EngineFailure): void {
    if (this.closed) return;
    this.closed = failure;
    for (const pending of this.pending.values()) pending.fail(new EngineRequestError(failure));
    this.pending.clear();
  }
}
