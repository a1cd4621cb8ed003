/**
 * Where Hub news reaches the store: downloads (progress applied at most ten times a second), the cache listing
 * (refreshed with every new worker and after every download or delete), loading a cached model through the
 * playground's loadModel, and the loaded model's training-memory card (asked whenever a model becomes ready).
 */
import { entryLabel } from '../../hub/cache-manifest';
import type { CacheEntryInfo, HubModelRequest } from '../../hub/types';
import { type EngineClient, engineProblem } from '../../worker/client';
import { downloadFromHub, type DownloadHandle } from '../../worker/hub-client';
import type { HubProblemKind } from '../../worker/hub-protocol';
import { engineClient, loadModel, onEngineConnected } from '../engineBridge';
import type { ShownProblem } from '../stores/playgroundSlice';
import { useStudio } from '../stores/studio';
import { throttleLatest } from '../throttle';
import { parseHubForm } from './hub-form';

const PROGRESS_INTERVAL_MS = 100;

const TITLES: Record<HubProblemKind, string> = {
  'bad-input': 'This cannot be downloaded',
  'not-found': 'Not found on the Hub',
  'no-access': 'The Hub refused access',
  'no-tokenizer': 'This model folder has no tokenizer',
  'bad-file': 'The download is not a usable model',
  network: 'The download was interrupted',
  cancelled: 'Download stopped',
  storage: 'The browser refused to store the model',
  'no-model': 'No model is loaded',
  internal: 'The download hit an unexpected error',
};

function problemOf(error: unknown): ShownProblem {
  const hub = engineProblem(error, 'hub');
  if (hub) return { title: TITLES[hub.kind], message: hub.message };
  return { title: TITLES.internal, message: error instanceof Error ? error.message : String(error) };
}

let download: DownloadHandle | null = null;

/** Lists the cache; quietly skipped without a worker (the view says it is listing until one starts). */
export async function refreshHubCache(client: EngineClient | null = engineClient()): Promise<void> {
  if (!client) return;
  try {
    const listing = await client.call('hub-list', {});
    if (engineClient() === client) useStudio.getState().hubCacheListed(listing);
  } catch (error) {
    if (engineClient() === client) useStudio.getState().hubCacheFailed({ title: 'The model cache cannot be read', message: problemOf(error).message });
  }
}

/** Downloads (or finds in the cache) the model, then loads it from the cache. */
export async function downloadModel(request: HubModelRequest): Promise<void> {
  const client = engineClient();
  if (!client || useStudio.getState().hubDownload.status === 'running') return;
  const label = entryLabel(request);
  // Ask once that the cache survive storage pressure (Chrome decides without a prompt; refusal changes nothing).
  void navigator.storage?.persist?.().catch(() => false);
  const store = useStudio.getState();
  store.hubDownloadStarted(label);
  const progress = throttleLatest(useStudio.getState().hubDownloadProgressed, PROGRESS_INTERVAL_MS);
  const handle = downloadFromHub(client, request, progress.push);
  download = handle;
  try {
    const { entry, fromCache } = await handle.done;
    progress.cancel();
    useStudio.getState().hubDownloadDone(fromCache);
    void refreshHubCache(client);
    void loadCached(entry);
  } catch (error) {
    progress.cancel();
    useStudio.getState().hubDownloadFailed(problemOf(error));
    // A failed download may have left a resumable entry (or removed one): show the cache as it now is.
    void refreshHubCache(client);
  } finally {
    if (download === handle) download = null;
  }
}

/** Downloads what the form describes, or marks the fields that are wrong. */
export function downloadFromForm(): Promise<void> {
  const parsed = parseHubForm(useStudio.getState().hubForm);
  if (!parsed.ok) {
    useStudio.getState().hubFormRejected(parsed.errors);
    return Promise.resolve();
  }
  return downloadModel(parsed.request);
}

export function stopDownload(): void {
  if (!download) return;
  download.cancel();
  useStudio.getState().hubDownloadStopping();
}

/** Loads a complete cache entry onto the GPU (no network). */
export function loadCached(entry: CacheEntryInfo): Promise<void> {
  return loadModel({ kind: 'cached', key: entry.key }, entry.label);
}

export async function deleteCached(entry: CacheEntryInfo): Promise<void> {
  const client = engineClient();
  if (!client) return;
  useStudio.getState().hubCacheProblemShown(null);
  try {
    const listing = await client.call('hub-delete', { key: entry.key });
    useStudio.getState().hubCacheListed(listing);
  } catch (error) {
    const problem = problemOf(error);
    useStudio.getState().hubCacheProblemShown({ title: `${entry.label} was not deleted`, message: problem.message });
  }
}

async function fetchModelCard(client: EngineClient, model: string): Promise<void> {
  useStudio.getState().modelCardLoading(model);
  try {
    const card = await client.call('hub-model-card', {});
    const state = useStudio.getState();
    if (state.model.status === 'ready' && state.model.summary.name === card.model) state.modelCardReady(card.model, card.training);
  } catch (error) {
    const state = useStudio.getState();
    if (state.modelCard.status === 'loading' && state.modelCard.model === model) state.modelCardFailed(model, problemOf(error).message);
  }
}

let started = false;

/** Hooks the bridge to the engine and the store once (called by the views that show hub state). */
export function startHubBridge(): void {
  if (started) return;
  started = true;
  onEngineConnected((client) => {
    download = null;
    void refreshHubCache(client);
  });
  useStudio.subscribe((state, previous) => {
    if (state.model === previous.model) return;
    const client = engineClient();
    if (state.model.status === 'ready' && client) void fetchModelCard(client, state.model.summary.name);
    else if (state.model.status !== 'ready' && state.modelCard.status !== 'none') state.modelCardCleared();
  });
  // A model loaded before this view first opened (from another section) gets its card too.
  const { model } = useStudio.getState();
  const client = engineClient();
  if (model.status === 'ready' && client) void fetchModelCard(client, model.summary.name);
}
