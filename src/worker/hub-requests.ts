/**
 * The engine worker's handler for 'hub-' messages (see domains.ts): downloads into the OPFS cache (progress events
 * at most ten a second, cancellable), the cache listing and deletions, and the loaded model's training-memory card.
 * Downloads run beside GPU work (they only move bytes), one per entry at a time.
 */
import { deleteCacheEntry, listCache } from '../hub/cache-list';
import { entryInfo, entryKey } from '../hub/cache-manifest';
import { downloadModel } from '../hub/download';
import { HubError } from '../hub/errors';
import { OpfsCacheStore } from '../hub/opfs-store';
import type { DomainHandler, WorkerServices } from './domains';
import { cacheKeyOf } from './hub-cached-model';
import { trainingMemoryFigures } from './hub-model-card';
import type { HubDownloadRequest, HubProblem } from './hub-protocol';

const store = new OpfsCacheStore();
/** Downloads in flight: request id → its controller and entry key. */
const running = new Map<number, { controller: AbortController; key: string }>();

export function hubProblemOf(error: unknown): HubProblem {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HubError) return { kind: error.kind, message };
  // OPFS fails with DOMExceptions: quota, or a private window without storage.
  if (error instanceof DOMException) return { kind: 'storage', message: `The browser refused the model cache: ${error.name}: ${message}` };
  return { kind: 'internal', message: error instanceof Error ? `${error.name}: ${message}` : message };
}

async function download(message: HubDownloadRequest, services: WorkerServices): Promise<void> {
  const key = entryKey(message.request);
  if ([...running.values()].some((r) => r.key === key)) {
    const problem: HubProblem = { kind: 'bad-input', message: 'This model is already downloading.' };
    services.post({ kind: 'hub-failed', id: message.id, problem });
    return;
  }
  const controller = new AbortController();
  running.set(message.id, { controller, key });
  try {
    const outcome = await downloadModel(message.request, {
      fetch: (url, init) => fetch(url, { ...init, cache: 'no-store' }),
      store,
      signal: controller.signal,
      onProgress: (progress) => services.post({ kind: 'hub-progress', requestId: message.id, progress }),
      freeBytes: async () => {
        if (typeof navigator.storage?.estimate !== 'function') return null;
        const { quota, usage } = await navigator.storage.estimate();
        return quota !== undefined && usage !== undefined ? quota - usage : null;
      },
    });
    const stored = outcome.manifest.files.reduce((n, f) => n + (f.bytes ?? 0), 0);
    services.post({ kind: 'hub-downloaded', id: message.id, entry: entryInfo(outcome.manifest, stored), fromCache: outcome.fromCache });
  } catch (error) {
    services.post({ kind: 'hub-failed', id: message.id, problem: hubProblemOf(error) });
  } finally {
    running.delete(message.id);
  }
}

async function answerListing(id: number, services: WorkerServices): Promise<void> {
  try {
    services.post({ kind: 'hub-listed', id, listing: await listCache(store) });
  } catch (error) {
    services.post({ kind: 'hub-failed', id, problem: hubProblemOf(error) });
  }
}

export const hubDomain: DomainHandler = {
  prefix: 'hub-',
  async handle(message, services) {
    switch (message.kind) {
      case 'hub-download':
        return download(message, services);
      case 'hub-cancel':
        running.get(message.target)?.controller.abort();
        return;
      case 'hub-list':
        return answerListing(message.id, services);
      case 'hub-delete': {
        const refusal = [...running.values()].some((r) => r.key === message.key)
          ? 'This model is downloading; stop the download before deleting it.'
          : (() => {
              // The loaded model reads its weights from these files (training, merging); they must stay.
              const session = services.session();
              return session && cacheKeyOf(session.files) === message.key ? 'This model is loaded; load another one before deleting it.' : null;
            })();
        if (refusal) {
          services.post({ kind: 'hub-failed', id: message.id, problem: { kind: 'bad-input', message: refusal } });
          return;
        }
        try {
          await deleteCacheEntry(store, message.key);
        } catch (error) {
          services.post({ kind: 'hub-failed', id: message.id, problem: hubProblemOf(error) });
          return;
        }
        return answerListing(message.id, services);
      }
      case 'hub-model-card': {
        const session = services.session();
        if (!session) {
          services.post({ kind: 'hub-failed', id: message.id, problem: { kind: 'no-model', message: 'No model is loaded.' } });
          return;
        }
        try {
          const engine = await services.getEngine();
          const figures = trainingMemoryFigures(session.files, engine.device.limits.maxStorageBufferBindingSize);
          services.post({ kind: 'hub-model-card-ready', id: message.id, model: session.summary.name, training: figures });
        } catch (error) {
          services.post({ kind: 'hub-failed', id: message.id, problem: hubProblemOf(error) });
        }
        return;
      }
    }
  },
};
