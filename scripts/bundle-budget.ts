/**
 * Two build checks as one Vite plugin. The budget: the JavaScript a first visit must download before the studio
 * runs (the entry chunk and every chunk it imports statically, gzipped; lazy sections and the worker are not in it)
 * is printed by every build, and the build fails above the limit. The guard: benchmark-only libraries (TF.js, used
 * by bench/ to compare kernels) must never reach a chunk of the app or of its worker.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** The initial JavaScript may weigh this much gzipped (600 KB, decimal). */
export const INITIAL_JS_LIMIT_BYTES = 600_000;

/** Module paths that belong to benchmarks only. */
const BENCH_ONLY = [/[\\/]node_modules[\\/]@tensorflow[\\/]/, /[\\/]bench[\\/]/];

interface ChunkLike {
  type: 'chunk';
  fileName: string;
  code: string;
  isEntry: boolean;
  imports: string[];
  moduleIds: string[];
}

type BundleLike = Record<string, { type: 'chunk' | 'asset' } | ChunkLike>;

function chunks(bundle: BundleLike): ChunkLike[] {
  return Object.values(bundle).filter((o): o is ChunkLike => o.type === 'chunk');
}

/** Fails the build when a benchmark-only module is in any chunk. */
export function benchLibraryGuard(): Plugin {
  return {
    name: 'webtune:bench-library-guard',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const chunk of chunks(bundle as unknown as BundleLike)) {
        const leaked = chunk.moduleIds.find((id) => BENCH_ONLY.some((re) => re.test(id)));
        if (leaked) this.error(`${chunk.fileName} contains ${leaked}: benchmark-only code must not reach the studio's bundle.`);
      }
    },
  };
}

/** The entry chunks and everything they import statically, by file name. */
export function initialChunks(bundle: BundleLike): ChunkLike[] {
  const all = new Map(chunks(bundle).map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !all.has(name)) return;
    seen.add(name);
    for (const next of all.get(name)!.imports) visit(next);
  };
  for (const chunk of all.values()) if (chunk.isEntry) visit(chunk.fileName);
  return [...seen].map((name) => all.get(name)!);
}

export function initialJsBudget(limit = INITIAL_JS_LIMIT_BYTES): Plugin {
  return {
    name: 'webtune:initial-js-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const initial = initialChunks(bundle as unknown as BundleLike);
      const sizes = initial.map((c) => ({ file: c.fileName, gzip: gzipSync(c.code, { level: 9 }).byteLength }));
      const total = sizes.reduce((n, s) => n + s.gzip, 0);
      const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;
      const lines = sizes.map((s) => `  ${s.file}: ${kb(s.gzip)}`).join('\n');
      this.info(`initial JavaScript (entry + static imports), gzipped: ${kb(total)} of ${kb(limit)} allowed\n${lines}`);
      // Printed as well as logged: Vite hides plugin info below its default log level in some setups.
      console.log(`\n[webtune] initial JavaScript, gzipped: ${kb(total)} (limit ${kb(limit)}) in ${sizes.length} chunk(s)`);
      if (total > limit) {
        this.error(`the initial JavaScript is ${kb(total)} gzipped, over the ${kb(limit)} budget; lazy-load what the first view does not need.`);
      }
    },
  };
}
