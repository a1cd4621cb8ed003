/**
 * The main thread's handle on the worker's 'hub-' requests, built on EngineClient.request. A 'hub-failed' reply
 * rejects with HubRequestError carrying the typed problem; download progress arrives through `onProgress`.
 */
import type { CacheListing } from '../hub/cache-list';
import type { CacheEntryInfo, DownloadProgress, HubModelRequest } from '../hub/types';
import type { EngineClient } from './client';
import type { HubProblem, TrainingMemoryFigure } from './hub-protocol';
import type { FromEngine } from './protocol';

export class HubRequestError extends Error {
  constructor(readonly problem: HubProblem) {
    super(problem.message);
    this.name = 'HubRequestError';
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; problem: HubProblem };

function pick<T>(value: (reply: FromEngine) => T | undefined): (reply: FromEngine) => Settled<T> | undefined {
  return (reply) => {
    if (reply.kind === 'hub-failed') return { ok: false, problem: reply.problem };
    const v = value(reply);
    return v === undefined ? undefined : { ok: true, value: v };
  };
}

async function settled<T>(pending: Promise<Settled<T>>): Promise<T> {
  const result = await pending;
  if (!result.ok) throw new HubRequestError(result.problem);
  return result.value;
}

export interface DownloadHandle {
  done: Promise<{ entry: CacheEntryInfo; fromCache: boolean }>;
  cancel(): void;
}

export function downloadFromHub(
  client: EngineClient,
  request: HubModelRequest,
  onProgress: (progress: DownloadProgress) => void,
): DownloadHandle {
  const id = client.newId();
  const unsubscribe = client.subscribe((message) => {
    if (message.kind === 'hub-progress' && message.requestId === id) onProgress(message.progress);
  });
  const done = settled(
    client.request({ kind: 'hub-download', id, request }, pick((r) => (r.kind === 'hub-downloaded' ? { entry: r.entry, fromCache: r.fromCache } : undefined))),
  ).finally(unsubscribe);
  return { done, cancel: () => client.send({ kind: 'hub-cancel', target: id }) };
}

export function listHubCache(client: EngineClient): Promise<CacheListing> {
  return settled(client.request({ kind: 'hub-list', id: client.newId() }, pick((r) => (r.kind === 'hub-listed' ? r.listing : undefined))));
}

export function deleteHubCacheEntry(client: EngineClient, key: string): Promise<CacheListing> {
  return settled(client.request({ kind: 'hub-delete', id: client.newId(), key }, pick((r) => (r.kind === 'hub-listed' ? r.listing : undefined))));
}

export function modelCard(client: EngineClient): Promise<{ model: string; training: TrainingMemoryFigure[] }> {
  return settled(
    client.request(
      { kind: 'hub-model-card', id: client.newId() },
      pick((r) => (r.kind === 'hub-model-card-ready' ? { model: r.model, training: r.training } : undefined)),
    ),
  );
}
