// The fuzz process's entry: it starts in plain JavaScript, so TypeScript is loaded through tsx here (as the data
// worker's node-entry.mjs does), also under vitest, whose transform does not reach child processes.
import { register } from 'tsx/esm/api';

register();
await import('./case-runner.ts');
