/**
 * Side-by-side timing of matmul tilings (workgroup shape and TK; the 8×8 per-thread block is fixed by the
 * WGSL), used to choose MATMUL_TILING in src/gpu/kernels/matmul.ts. Configurations alternate within each
 * round, so load from other processes lands on all of them alike; compare within one run.
 *
 *   npx tsx --import ./scripts/raw-loader.mjs bench/matmul-tiling.bench.ts
 *   TILINGS='8,8,32;8,8,16' SHAPES='256,576,576' REPS=5 …   (WG_N,WG_M,TK; M,K,N)
 */
import { GpuContext } from '../src/gpu/context';
import { acquireNodeDevice } from '../src/gpu/device-node';
import {
  matmulBackwardInput,
  matmulBackwardWeight,
  matmulForward,
  type MatmulTiling,
} from '../src/gpu/kernels/matmul';
import { randomArray } from '../src/gpu/testing/random';
import { median } from './timing';

const parseList = (text: string): number[][] => text.split(';').map((part) => part.split(',').map(Number));
const tilings: MatmulTiling[] = parseList(process.env.TILINGS ?? '8,8,32;8,8,16;4,8,32;8,4,32;16,8,16;4,4,32').map(
  ([WG_N, WG_M, TK]) => ({ WG_N, WG_M, TK }),
);
const shapes = parseList(process.env.SHAPES ?? '256,64,172;256,576,576;256,576,1536');
const reps = Number(process.env.REPS ?? 3);

const acquired = await acquireNodeDevice();
const ctx = GpuContext.fromAcquired(acquired);
console.log(`device: ${acquired.report.description}; median ms of ${reps} runs after a warm-up`);
console.log(`tilings (WG_N,WG_M,TK): ${tilings.map((t) => `[${t.WG_N},${t.WG_M},${t.TK}]`).join(' ')}`);

for (const [m, k, n] of shapes) {
  // X [M,K], W [N,K], dY [M,N] and the three outputs.
  const x = ctx.tensor([m, k], 'f32', 'x', randomArray(m * k, 1));
  const w = ctx.tensor([n, k], 'f32', 'w', randomArray(n * k, 2));
  const dy = ctx.tensor([m, n], 'f32', 'dy', randomArray(m * n, 3));
  const y = ctx.tensor([m, n]), dx = ctx.tensor([m, k]), dw = ctx.tensor([n, k]);
  const products: [string, (t: MatmulTiling) => void][] = [
    ['fwd', (t) => matmulForward(ctx, x, w, y, {}, t)],
    ['dX ', (t) => matmulBackwardInput(ctx, dy, w, dx, {}, t)],
    ['dW ', (t) => matmulBackwardWeight(ctx, dy, x, dw, {}, t)],
  ];
  for (const [name, run] of products) {
    const times = tilings.map(() => [] as number[]);
    for (let r = -1; r < reps; r++) {
      for (let i = 0; i < tilings.length; i++) {
        const t0 = performance.now();
        run(tilings[i]);
        await ctx.sync();
        if (r >= 0) times[i].push(performance.now() - t0);
      }
    }
    const cells = times.map((ts) => median(ts).toFixed(1).padStart(8));
    console.log(`${name} ${m}×${k}→${n}`.padEnd(20) + cells.join(' '));
  }
  for (const t of [x, w, dy, y, dx, dw]) ctx.release(t);
}
process.exit(0);
