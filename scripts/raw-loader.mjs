// Node module hook so `import code from './x.wgsl?raw'` works under tsx (CLI, benchmarks) as it does in Vite.
import { register } from 'node:module';

register('./raw-loader-hooks.mjs', import.meta.url);
