/**
 * The engine worker: the only place in the studio that touches the GPU. It acquires the device on the first
 * request that needs one, keeps one GpuContext for the life of the device, holds at most one loaded model, and
 * tells the studio when the device is lost. Loads and generations run one at a time, in the order asked;
 * a cancel acts at once. Every message goes through the router (router.ts), over the handlers of every domain.
 */
import { GpuContext } from '../gpu/context';
import { acquireDevice, WebGPUUnavailableError } from '../gpu/device';
import { loadGgufModel, loadHfModel, type LoadedModel } from '../model/load';
import { blobSource } from '../model/source';
import { BundledModelError, fetchBundledModel, listBundledModels } from './bundled-models';
import { compareHandlers } from './compare-requests';
import { datasetHandlers } from './dataset-requests';
import type { RequestHandlers, WorkerServices } from './domains';
import { EngineError } from './engine-error';
import { loadCachedModel } from './hub-cached-model';
import { hubHandlers } from './hub-requests';
import { libraryHandlers } from './library-requests';
import { ModelSession } from './model-session';
import { problemOf } from './problems';
import type { DeviceLoss, EngineFailure, FromEngine, GenerationOutcome, ModelSource, ModelSummary, RequestMessage } from './protocol';
import { createRouter } from './router';
import { trainHandlers, trainNotices } from './train-requests';

declare const self: DedicatedWorkerGlobalScope;

let engine: Promise<GpuContext> | null = null;
let session: ModelSession | null = null;
/** The generation in progress, so a cancel can reach it. */
let running: { id: number; controller: AbortController } | null = null;
/** Loads and generations chain here, so a load never frees a model mid-generation. */
let queue: Promise<void> = Promise.resolve();

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
    // Forget the dead context so the next request acquires a fresh device; the model's buffers died with it.
    if (engine === pending) engine = null;
    session = null;
    running?.controller.abort();
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

/** Runs `task` after every task asked before it; a failing task does not stop the ones after it. */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.then(
    () => undefined,
    () => undefined,
  );
  return next;
}

function taskError(error: unknown): EngineError {
  return error instanceof EngineError ? error : new EngineError({ domain: 'task', ...problemOf(error) });
}

async function open(source: ModelSource): Promise<LoadedModel> {
  switch (source.kind) {
    case 'gguf-file':
      return loadGgufModel(blobSource(source.file, source.file.name));
    case 'folder':
      return loadHfModel(new Map(source.files.map((f) => [f.path, blobSource(f.file, f.path)])), source.label);
    case 'cached':
      return loadCachedModel(source.key);
    case 'bundled': {
      const model = (await listBundledModels()).find((m) => m.id === source.id);
      if (!model) throw new BundledModelError(`no model '${source.id}' is shipped with the studio`);
      const fetched = await fetchBundledModel(model, source.format);
      return fetched.kind === 'gguf' ? loadGgufModel(fetched.source) : loadHfModel(fetched.files, fetched.label);
    }
  }
}

async function loadModel(request: RequestMessage<'load-model'>): Promise<ModelSummary> {
  let context: GpuContext;
  try {
    context = await getEngine();
  } catch (error) {
    throw new EngineError({ domain: 'device', ...failureOf(error) });
  }
  try {
    const startedAt = performance.now();
    // One model at a time: the previous one goes before the new one needs the memory.
    const previous = session;
    session = null;
    await previous?.dispose();
    const loaded = await open(request.source);
    session = await ModelSession.create(context, loaded, startedAt, request.source);
    return session.summary;
  } catch (error) {
    throw taskError(error);
  }
}

/** `signal` is the request's (a cancel); the generation's own controller is also stopped by a load or a lost device. */
async function runGeneration(request: RequestMessage<'generate'>, signal: AbortSignal): Promise<GenerationOutcome> {
  const current = session;
  if (!current) throw new EngineError({ domain: 'task', kind: 'no-model', message: 'Load a model first.' });
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (signal.aborted) stop();
  signal.addEventListener('abort', stop, { once: true });
  running = { id: request.id, controller };
  try {
    return await current.generate(request.settings, controller.signal, (progress) =>
      post({ kind: 'token', requestId: request.id, progress }),
    );
  } catch (error) {
    throw taskError(error);
  } finally {
    signal.removeEventListener('abort', stop);
    if (running?.id === request.id) running = null;
  }
}

const services: WorkerServices = {
  getEngine,
  session: () => session,
  post,
  exclusive,
};

const requests: RequestHandlers = {
  probe: async () => {
    try {
      return (await getEngine()).report;
    } catch (error) {
      throw new EngineError({ domain: 'device', ...failureOf(error) });
    }
  },
  'list-models': () => listBundledModels().catch((error: unknown) => Promise.reject(taskError(error))),
  'load-model': (request) => {
    // A new model makes the current generation moot; stop it rather than wait for it.
    running?.controller.abort();
    return exclusive(() => loadModel(request));
  },
  generate: (request, { signal }) => exclusive(() => runGeneration(request, signal)),
  ...datasetHandlers(() => session, post),
  ...trainHandlers(services),
  ...libraryHandlers(services),
  ...compareHandlers(services),
  ...hubHandlers(services),
};

const receive = createRouter({
  requests,
  notices: trainNotices,
  post,
  unexpected: (error) => taskError(error).detail,
});

self.addEventListener('message', (event: MessageEvent<unknown>) => {
  void receive(event.data);
});
