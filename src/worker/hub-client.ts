/**
 * A Hub download as the Hub view holds it: the promise of its cache entry, with byte progress through
 * `onProgress`, and a cancel (the download then fails with a HubProblem of kind 'cancelled'). The other Hub
 * requests need nothing beyond `client.call`.
 */
import type { CacheEntryInfo, DownloadProgress, HubModelRequest } from '../hub/types';
import type { EngineClient } from './client';

export interface DownloadHandle {
  done: Promise<{ entry: CacheEntryInfo; fromCache: boolean }>;
  cancel(): void;
}

export function downloadFromHub(
  client: EngineClient,
  request: HubModelRequest,
  onProgress: (progress: DownloadProgress) => void,
): DownloadHandle {
  const controller = new AbortController();
  const done = client.call('hub-download', { request }, { signal: controller.signal, onEvent: (event) => onProgress(event.progress) });
  return { done, cancel: () => controller.abort() };
}
