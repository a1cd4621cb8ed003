/**
 * The data worker in the studio: a module Worker started by the engine worker (browser.ts), so reading and
 * tokenizing a training file never holds up the thread that drives the GPU. Files and OPFS Blobs are posted here
 * as they are.
 */
import type { ToDataWorker } from './protocol';
import { serveDataStream } from './serve';

declare const self: DedicatedWorkerGlobalScope;

serveDataStream({
  post: (message, transfer) => self.postMessage(message, transfer),
  onMessage: (handler) => self.addEventListener('message', (event: MessageEvent<ToDataWorker>) => handler(event.data)),
  close: () => self.close(),
});
