// The data worker's entry under Node. A worker_threads Worker starts in plain JavaScript, without the loader of
// the thread that made it, so TypeScript is loaded through tsx here, as bin/webtune.mjs does for the CLI (and
// this works the same under vitest, whose transform does not reach worker threads).
import { register } from 'tsx/esm/api';

register();
await import('./node-worker.ts');
