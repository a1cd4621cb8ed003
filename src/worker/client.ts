/**
 * The main thread's handle on the engine worker. `call(kind, params)` sends any request of the map in protocol.ts
 * and resolves with its reply type (events it sends reach `onEvent`; aborting `signal` sends a `cancel` naming it);
 * every failure rejects with one type, EngineError, whose `detail` names its domain and problem. Device loss and
 * worker crashes arrive through the listeners given at construction.
 */
import { EngineError, type EngineErrorDetail } from './engine-error';
import type {
  DeviceLoss,
  EngineEvent,
  EngineFailure,
  EngineNotices,
  EngineReply,
  EventOf,
  FromEngine,
  NoticeKind,
  ParamsOf,
  ReplyOf,
  RequestKind,
} from './protocol';

export { EngineError, engineProblem } from './engine-error';

export interface EngineListeners {
  /** The device worked, then went away; the next request acquires a new one. */
  deviceLost(loss: DeviceLoss): void;
  /** The worker could not load or crashed; every pending request has been rejected. */
  workerFailed(failure: EngineFailure): void;
}

export interface CallOptions<K extends RequestKind> {
  /** Hears the events the request sends before its reply (those naming it by `requestId`). */
  onEvent?(event: EventOf<K>): void;
  /** Aborting it asks the worker to stop the request; the request still answers (with what was done, or a failure). */
  signal?: AbortSignal;
}

interface Pending {
  kind: RequestKind;
  resolve(value: unknown): void;
  reject(error: EngineError): void;
  onEvent?(event: EngineEvent): void;
}

function spawnEngineWorker(): Worker {
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'webtune-engine' });
}

const secure = (): boolean => typeof isSecureContext === 'boolean' && isSecureContext;

function workerGone(message: string): EngineFailure {
  return { reason: 'worker-failed', message, secureContext: secure() };
}

export class EngineClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly listenersOfEvents = new Set<(event: EngineEvent) => void>();
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

  /** Sends request `kind` and settles with its reply; rejects with EngineError. */
  call<K extends RequestKind>(kind: K, params: ParamsOf<K>, options: CallOptions<K> = {}): Promise<ReplyOf<K>> {
    if (this.closed) return Promise.reject(new EngineError({ domain: 'device', ...this.closed }));
    const id = this.nextId++;
    const { signal, onEvent } = options;
    const cancel = () => this.notify('cancel', { target: id });
    const reply = new Promise<ReplyOf<K>>((resolve, reject) => {
      this.pending.set(id, {
        kind,
        // The worker answered this id with kind K (checked in receive), whose reply type is ReplyOf<K>.
        resolve: (value) => resolve(value as ReplyOf<K>),
        reject,
        onEvent: onEvent && ((event) => onEvent(event as EventOf<K>)),
      });
      this.worker.postMessage({ kind, id, ...params });
    });
    if (!signal) return reply;
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    return reply.finally(() => signal.removeEventListener('abort', cancel));
  }

  /** Sends a message that has no reply (a pause, a cancel). */
  notify<K extends NoticeKind>(kind: K, params: EngineNotices[K]): void {
    if (!this.closed) this.worker.postMessage({ kind, ...params });
  }

  /** Calls `listener` with every event (e.g. a training run's, named by its runId). Returns the unsubscribe. */
  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listenersOfEvents.add(listener);
    return () => this.listenersOfEvents.delete(listener);
  }

  /** Stops the worker; the device goes with it. */
  dispose(): void {
    this.close(workerGone('The engine was shut down.'));
    this.worker.terminate();
  }

  private receive(message: FromEngine): void {
    if ('id' in message) return this.settle(message);
    if (message.kind === 'device-lost') {
      this.listeners.deviceLost(message.loss);
      return;
    }
    if ('requestId' in message) this.pending.get(message.requestId)?.onEvent?.(message);
    for (const listener of this.listenersOfEvents) listener(message);
  }

  private settle(reply: EngineReply): void {
    const pending = this.pending.get(reply.id);
    // No request waits for it: the client was closed, or the worker could not read a message's id.
    if (!pending) {
      if (!reply.ok) console.error(`webtune engine: ${reply.error.message}`);
      return;
    }
    this.pending.delete(reply.id);
    if (!reply.ok) return pending.reject(new EngineError(reply.error));
    if (reply.kind !== pending.kind) {
      const detail: EngineErrorDetail = {
        domain: 'protocol',
        kind: 'unexpected-reply',
        message: `Engine answered '${pending.kind}' with '${reply.kind}'.`,
      };
      return pending.reject(new EngineError(detail));
    }
    pending.resolve(reply.value);
  }

  private crash(message: string): void {
    if (this.closed) return;
    const failure = workerGone(message);
    this.close(failure);
    this.listeners.workerFailed(failure);
  }

  private close(failure: EngineFailure): void {
    if (this.closed) return;
    this.closed = failure;
    for (const pending of this.pending.values()) pending.reject(new EngineError({ domain: 'device', ...failure }));
    this.pending.clear();
    this.listenersOfEvents.clear();
  }
}
