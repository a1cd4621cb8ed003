#!/usr/bin/env node
// The `webtune` command: runs the TypeScript CLI through tsx, with `?raw` WGSL imports resolved as in Vite.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('../scripts/raw-loader-hooks.mjs', import.meta.url);
registerTsx();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
