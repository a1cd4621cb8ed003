/**
 * The main thread's handle on the engine worker: one promise-returning method per request kind, so the studio
 * never sees messages. Device loss and worker crashes arrive through the listeners given at construction.
 */
import type { AdapterReport } from '../gpu/device';
import type {
  BundledModel,
  DeviceLoss,
  EngineFailure,
  FromEngine,
  GenerateSettings,
  GenerationOutcome,
  GenerationProgress,
  ModelSource,
  ModelSummary,
  TaskProblem,
  ToEngine,
} from './protocol';
import type { DatasetFailure, DatasetProgress, DatasetSettings, DatasetSource, DatasetSummary } from './dataset-protocol';

/** The engine has no device (or no worker): the request never ran. */
export class EngineRequestError extends Error {
  constructor(readonly failure: EngineFailure) {
    super(failure.message);
    this.name = 'EngineRequestError';
  }
}

/** The request ran and failed: a bad file, a bad setting, a device that refused. */
export class EngineTaskError extends Error {
  constructor(readonly problem: TaskProblem) {
    super(problem.message);
    this.name = 'EngineTaskError';
  }
}

/** The dataset (or its settings) cannot be used; `failure` says why, with its bad rows and columns. */
export class DatasetFailedError extends Error {
  constructor(readonly failure: DatasetFailure) {
    super(failure.message);
    this.name = 'DatasetFailedError';
  }
}

export interface EngineListeners {
  /** The device worked, then went away; the next request acquires a new one. */
  deviceLost(loss: DeviceLoss): void;
  /** The worker could not load or crashed; every pending request has been rejected. */
  workerFailed(failure: EngineFailure): void;
}

interface Pending {
  settle(reply: FromEngine): void;
  fail(error: EngineRequestError): void;
}

function spawnEngineWorker(): Worker {
  return new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'webtune-engine' });
}

export class EngineClient {
  private readonly pending = new Map<number, Pending>();
  /** Progress listeners of generations in flight, by request id. */
  private readonly progress = new Map<number, (progress: GenerationProgress) => void>();
  /** Progress listeners of dataset requests in flight, by request id. */
  private readonly datasetProgress = new Map<number, (progress: DatasetProgress) => void>();
  private nextId = 1;
  private readonly listenersOfEvents = new Set<(message: FromEngine) => void>();
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

  /** The models shipped with the studio. */
  listModels(): Promise<BundledModel[]> {
    return this.request({ kind: 'list-models', id: this.nextId++ }, (reply) =>
      reply.kind === 'models-listed' ? reply.models : undefined,
    );
  }

  /** Frees the loaded model, if any, and loads this one; rejects with EngineTaskError naming a bad file. */
  loadModel(source: ModelSource): Promise<ModelSummary> {
    return this.request({ kind: 'load-model', id: this.nextId++, source }, (reply) =>
      reply.kind === 'model-loaded' ? reply.summary : undefined,
    );
  }

  /**
   * Continues a prompt with the loaded model, calling `onProgress` for every token. Aborting `signal` stops it
   * after the current token; the promise then resolves with stop reason 'aborted' and the text so far.
   */
  generate(
    settings: GenerateSettings,
    onProgress: (progress: GenerationProgress) => void,
    signal?: AbortSignal,
  ): Promise<GenerationOutcome> {
    const id = this.nextId++;
    const cancel = () => this.worker.postMessage({ kind: 'cancel', target: id } satisfies ToEngine);
    this.progress.set(id, onProgress);
    signal?.addEventListener('abort', cancel, { once: true });
    const done = this.request({ kind: 'generate', id, settings }, (reply) =>
      reply.kind === 'done' ? reply.outcome : undefined,
    );
    return done.finally(() => {
      this.progress.delete(id);
      signal?.removeEventListener('abort', cancel);
    });
  }

  /** Reads a dataset file in the worker and summarises it; rejects with DatasetFailedError naming the problem. */
  openDataset(
    source: DatasetSource,
    settings: DatasetSettings,
    onProgress: (progress: DatasetProgress) => void,
  ): Promise<DatasetSummary> {
    const id = this.nextId++;
    this.datasetProgress.set(id, onProgress);
    return this.request({ kind: 'open-dataset', id, source, settings }, (reply) =>
      reply.kind === 'dataset-ready' ? reply.summary : undefined,
    ).finally(() => this.datasetProgress.delete(id));
  }

  /** New settings for the open dataset (the worker re-reads or re-tokenizes only what they change). */
  updateDataset(settings: DatasetSettings, onProgress: (progress: DatasetProgress) => void): Promise<DatasetSummary> {
    const id = this.nextId++;
    this.datasetProgress.set(id, onProgress);
    return this.request({ kind: 'update-dataset', id, settings }, (reply) =>
      reply.kind === 'dataset-ready' ? reply.summary : undefined,
    ).finally(() => this.datasetProgress.delete(id));
  }

  /** Stops the worker; the device goes with it. */
  dispose(): void {
    this.close({ reason: 'worker-failed', message: 'The engine was shut down.', secureContext: isSecureContext });
    this.worker.terminate();
  }

  /** `pick` returns the result carried by the expected reply kind, or undefined for any other kind. */
  /**
   * Sends a request and settles with what `pick` takes from its reply (domain clients such as train-client.ts
   * build their methods on this). 'request-failed', 'task-failed' and 'dataset-failed' replies reject.
   */
  request<T>(message: Extract<ToEngine, { id: number }>, pick: (reply: FromEngine) => T | undefined): Promise<T> {
    if (this.closed) return Promise.reject(new EngineRequestError(this.closed));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(message.id, {
        settle: (reply) => {
          if (reply.kind === 'request-failed') return reject(new EngineRequestError(reply.failure));
          if (reply.kind === 'task-failed') return reject(new EngineTaskError(reply.problem));
          if (reply.kind === 'dataset-failed') return reject(new DatasetFailedError(reply.failure));
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

  /** A new request id, for domain clients that need it before sending (e.g. to match progress events). */
  newId(): number {
    return this.nextId++;
  }

  /** Sends a message that has no reply (e.g. a pause or a cancel). */
  send(message: ToEngine): void {
    if (!this.closed) this.worker.postMessage(message);
  }

  /** Calls `listener` with every message that is not the reply of a pending request. Returns the unsubscribe. */
  subscribe(listener: (message: FromEngine) => void): () => void {
    this.listenersOfEvents.add(listener);
    return () => this.listenersOfEvents.delete(listener);
  }

  private receive(message: FromEngine): void {
    if (message.kind === 'device-lost') {
      this.listeners.deviceLost(message.loss);
      return;
    }
    if (message.kind === 'dataset-progress') {
      this.datasetProgress.get(message.id)?.(message.progress);
      return;
    }
    if (message.kind === 'token') {
      this.progress.get(message.id)?.(message.progress);
      return;
    }
    const id = 'id' in message ? message.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending) {
      for (const listener of this.listenersOfEvents) listener(message);
      return;
    }
    this.pending.delete(id!);
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
    this.progress.clear();
    this.datasetProgress.clear();
    this.listenersOfEvents.clear();
  }
}
