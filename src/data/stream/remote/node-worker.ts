/** The data worker under Node (started by node.ts through node-entry.mjs): serves one stream over parentPort. */
import { openAsBlob } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { DatasetError } from '../../types';
import type { ToDataWorker } from './protocol';
import { serveDataStream } from './serve';

const port = parentPort!;

serveDataStream(
  {
    post: (message, transfer) => port.postMessage(message, transfer as ArrayBuffer[]),
    onMessage: (handler) => port.on('message', (message: ToDataWorker) => handler(message)),
    close: () => port.close(),
  },
  async (path, file) => {
    try {
      return await openAsBlob(path);
    } catch (error) {
      throw new DatasetError(file, `could not be opened (${(error as Error).message})`);
    }
  },
);
