/** The data worker in the browser: a module Worker (data.worker.ts), the run's Blob or File posted to it. */
import type { DataOpener } from '../data-stream';
import { type DataWorkerPort, RemoteStreamedDataset } from './client';
import type { FromDataWorker } from './protocol';

export function startBrowserDataWorker(): DataWorkerPort {
  const worker = new Worker(new URL('./data.worker.ts', import.meta.url), { type: 'module', name: 'webtune-data' });
  return {
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (handler) => worker.addEventListener('message', (event: MessageEvent<FromDataWorker>) => handler(event.data)),
    onFailure: (handler) => {
      // A load failure (or an uncaught error) arrives as an ErrorEvent, a message that cannot be read as messageerror.
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        handler(new Error(`the data worker failed: ${event.message || 'it could not be started'}`));
      });
      worker.addEventListener('messageerror', () => handler(new Error('a message from the data worker could not be read')));
    },
    terminate: () => worker.terminate(),
  };
}

/** Opens a run's data in a data worker of its own; closing the stream ends the worker. */
export const openDataInWorker: DataOpener = (blob, settings, tokenizer) =>
  RemoteStreamedDataset.open(startBrowserDataWorker(), { kind: 'blob', blob }, settings, tokenizer);
