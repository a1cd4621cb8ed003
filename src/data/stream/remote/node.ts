/**
 * The data worker under Node (the CLI, and tests): a worker_threads Worker. A Blob from `openAsBlob` is backed by
 * its file and cannot be posted to a worker ("File-backed Blobs are not cloneable"), so a run on a file on disk
 * names its path and the worker opens the file itself; a Blob in memory is posted as it is.
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DataOpener } from '../data-stream';
import { type DataWorkerPort, RemoteStreamedDataset } from './client';
import type { FromDataWorker } from './protocol';

export function startNodeDataWorker(): DataWorkerPort {
  const worker = new Worker(new URL('./node-entry.mjs', import.meta.url), { name: 'webtune-data' });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer as ArrayBuffer[] | undefined),
    onMessage: (handler) => worker.on('message', (message: FromDataWorker) => handler(message)),
    onFailure: (handler) => {
      worker.on('error', (error) => handler(error instanceof Error ? error : new Error(String(error))));
      worker.on('exit', (code) => handler(new Error(`the data worker exited (code ${code})`)));
    },
    terminate: () => void worker.terminate(),
  };
}

/**
 * Opens a run's data in a worker thread. `path`: the file the run's Blob was opened from (the CLI's `--data`);
 * without it the Blob itself is posted, which works for a Blob in memory only.
 */
export function nodeDataOpener(path?: string): DataOpener {
  return (blob, settings, tokenizer) =>
    RemoteStreamedDataset.open(
      startNodeDataWorker(),
      path === undefined ? { kind: 'blob', blob } : { kind: 'path', path: resolve(path) },
      settings,
      tokenizer,
    );
}
