/**
 * The engine worker's handlers of the Hub requests (HubRequests in hub-protocol.ts): downloads into the OPFS cache
 * (progress events at most ten a second, cancellable), the cache listing and deletions, and the loaded model's
 * training-memory card. Downloads run beside GPU work (they only move bytes), one per entry at a time.
 */
import { deleteCacheEntry, listCache } from '../hub/cache-list';
import { entryInfo, entryKey } from '../hub/cache-manifest';
import { downloadModel } from '../hub/download';
import { HubError } from '../hub/errors';
import { OpfsCacheStore } from '../hub/opfs-store';
import type { RequestHandlers, WorkerServices } from './domains';
import { EngineError, failingWith } from './engine-error';
import { cacheKeyOf } from './hub-cached-model';
import { trainingMemoryFigures } from './hub-model-card';
import type { HubDownloaded, HubModelCard, HubProblem, HubRequests } from './hub-protocol';
import type { RequestMessage } from './protocol';

const store = new OpfsCacheStore();
/** Downloads in flight: request id → its entry key. */
const running = new Map<number, string>();

export function hubProblemOf(error: unknown): HubProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HubError) return { kind: error.kind, message };
  // OPFS fails with DOMExceptions: quota, or a private window without storage.
  if (error instanceof DOMException) return { kind: 'storage', message: `The browser refused the model cache: ${error.name}: ${message}` };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${message}` : message };
}

function refuse(problem: HubProblem): never {
  throw new EngineError({ domain: 'hub', ...problem });
}

/** Runs `work`, turning what it throws into a failure carrying a HubProblem. */
function asHubRequest<T>(work: () => Promise<T>): Promise<T> {
  return failingWith((error) => ({ domain: 'hub', ...hubProblemOf(error) }), work);
}

async function download(message: RequestMessage<'hub-download'>, signal: AbortSignal, services: WorkerServices): Promise<HubDownloaded> {
  const key = entryKey(message.request);
  if ([...running.values()].includes(key)) refuse({ kind: 'bad-input', message: 'This model is already downloading.' });
  running.set(message.id, key);
  try {
    const outcome = await downloadModel(message.request, {
      fetch: (url, init) => fetch(url, { ...init, cache: 'no-store' }),
      store,
      signal,
      onProgress: (progress) => services.post({ kind: 'hub-progress', requestId: message.id, progress }),
      freeBytes: async () => {
        if (typeof navigator.storage?.estimate !== 'function') return null;
        const { quota, usage } = await navigator.storage.estimate();
        return quota !== undefined && usage !== undefined ? quota - usage : null;
      },
    });
    const stored = outcome.manifest.files.reduce((n, f) => n + (f.bytes ?? 0), 0);
    return { entry: entryInfo(outcome.manifest, stored), fromCache: outcome.fromCache };
  } finally {
    running.delete(message.id);
  }
}

async function remove(key: string, services: WorkerServices) {
  if ([...running.values()].includes(key)) {
    refuse({ kind: 'bad-input', message: 'This model is downloading; stop the download before deleting it.' });
  }
  // The loaded model reads its weights from these files (training, merging); they must stay.
  const session = services.session();
  if (session && cacheKeyOf(session.files) === key) {
    refuse({ kind: 'bad-input', message: 'This model is loaded; load another one before deleting it.' });
  }
  await deleteCacheEntry(store, key);
  return listCache(store);
}

async function modelCard(services: WorkerServices): Promise<HubModelCard> {
  const session = services.session();
  if (!session) refuse({ kind: 'no-model', message: 'No model is loaded.' });
  const engine = await services.getEngine();
  const figures = trainingMemoryFigures(session.files, engine.device.limits.maxStorageBufferBindingSize);
  return { model: session.summary.name, training: figures };
}

export function hubHandlers(services: WorkerServices): RequestHandlers<keyof HubRequests> {
  return {
    'hub-download': (request, { signal }) => asHubRequest(() => download(request, signal, services)),
    'hub-list': () => asHubRequest(() => listCache(store)),
    'hub-delete': (request) => asHubRequest(() => remove(request.key, services)),
    'hub-model-card': () => asHubRequest(() => modelCard(services)),
  };
}
