/**
 * The engine worker: the only place in the studio that touches the GPU. It acquires the device on the first
 * request that needs one, keeps one GpuContext for the life of the device, holds at most one loaded model, and
 * tells the studio when the device is lost. Loads and generations run one at a time, in the order asked;
 * a cancel acts at once.
 */
import { GpuContext } from '../gpu/context';
import { acquireDevice, WebGPUUnavailableError } from '../gpu/device';
import { loadGgufModel, loadHfModel, type LoadedModel } from '../model/load';
import { blobSource } from '../model/source';
import { BundledModelError, fetchBundledModel, listBundledModels } from './bundled-models';
import { cancelDataset, openDataset, updateDataset } from './dataset-requests';
import { compareDomain } from './compare-requests';
import type { DomainHandler, WorkerServices } from './domains';
import { loadCachedModel } from './hub-cached-model';
import { hubDomain } from './hub-requests';
import { libraryDomain } from './library-requests';
import { trainDomain } from './train-requests';
import { ModelSession } from './model-session';
import { problemOf } from './problems';
import type {
  DeviceLoss,
  EngineFailure,
  FromEngine,
  GenerateRequest,
  LoadModelRequest,
  ModelSource,
  ToEngine,
} from './protocol';

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
function exclusive(task: () => Promise<void>): Promise<void> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
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

async function loadModel(request: LoadModelRequest): Promise<void> {
  let context: GpuContext;
  try {
    context = await getEngine();
  } catch (error) {
    post({ kind: 'request-failed', id: request.id, failure: failureOf(error) });
    return;
  }
  try {
    const startedAt = performance.now();
    // One model at a time: the previous one goes before the new one needs the memory.
    const previous = session;
    session = null;
    await previous?.dispose();
    const loaded = await open(request.source);
    session = await ModelSession.create(context, loaded, startedAt);
    post({ kind: 'model-loaded', id: request.id, summary: session.summary });
  } catch (error) {
    post({ kind: 'task-failed', id: request.id, problem: problemOf(error) });
  }
}

async function runGeneration(request: GenerateRequest, controller: AbortController): Promise<void> {
  const current = session;
  if (!current) {
    post({ kind: 'task-failed', id: request.id, problem: { kind: 'no-model', message: 'Load a model first.' } });
    return;
  }
  running = { id: request.id, controller };
  try {
    const outcome = await current.generate(request.settings, controller.signal, (progress) =>
      post({ kind: 'token', id: request.id, progress }),
    );
    post({ kind: 'done', id: request.id, outcome });
  } catch (error) {
    post({ kind: 'task-failed', id: request.id, problem: problemOf(error) });
  } finally {
    if (running?.id === request.id) running = null;
  }
}

const services: WorkerServices = {
  getEngine,
  session: () => session,
  setSession: (next) => {
    session = next;
  },
  post,
  exclusive,
  abortGeneration: () => running?.controller.abort(),
};

const DOMAINS: readonly DomainHandler[] = [trainDomain, libraryDomain, compareDomain, hubDomain];

/** Generations waiting in the queue, and those of them cancelled before they began. */
const queued = new Set<number>();
const cancelled = new Set<number>();

async function handle(message: ToEngine): Promise<void> {
  switch (message.kind) {
    case 'probe': {
      try {
        const context = await getEngine();
        post({ kind: 'probe-result', id: message.id, report: context.report });
      } catch (error) {
        post({ kind: 'request-failed', id: message.id, failure: failureOf(error) });
      }
      return;
    }
    case 'list-models': {
      try {
        post({ kind: 'models-listed', id: message.id, models: await listBundledModels() });
      } catch (error) {
        post({ kind: 'task-failed', id: message.id, problem: problemOf(error) });
      }
      return;
    }
    case 'load-model':
      // A new model makes the current generation moot; stop it rather than wait for it.
      running?.controller.abort();
      return exclusive(() => loadModel(message));
    case 'generate':
      queued.add(message.id);
      return exclusive(() => {
        queued.delete(message.id);
        const controller = new AbortController();
        if (cancelled.delete(message.id)) controller.abort();
        return runGeneration(message, controller);
      });
    case 'open-dataset':
      return openDataset(message, () => session, post);
    case 'update-dataset':
      return updateDataset(message, () => session, post);
    case 'cancel':
      // One cancel message for every cancellable request: a generation, queued or running, or a dataset read.
      cancelDataset(message.target);
      if (running?.id === message.target) running.controller.abort();
      else if (queued.has(message.target)) cancelled.add(message.target);
      return;
    default: {
      const kind: string = (message as { kind: string }).kind; // `never` until a domain declares messages
      const domain = DOMAINS.find((d) => kind.startsWith(d.prefix));
      if (domain) return domain.handle(message, services);
      post({ kind: 'task-failed', id: -1, problem: { kind: 'internal', message: `Unknown engine request '${kind}'.` } });
    }
  }
}

self.addEventListener('message', (event: MessageEvent<ToEngine>) => {
  void handle(event.data);
});
