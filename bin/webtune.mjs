#!/usr/bin/env node
// The `webtune` command: runs the TypeScript CLI through tsx, with `?raw` WGSL imports resolved as in Vite.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('../scripts/raw-loader-hooks.mjs', import.meta.url);
registerTsx();
const { main } = await import('../src/cli/main.ts');
const { releaseCommandDevice } = await import('../src/cli/command-device.ts');
try {
  process.exitCode = await main(process.argv.slice(2));
} finally {
  // The command's device would keep the process alive.
  await releaseCommandDevice();
}
