import { describe, expect, it } from 'vitest';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { layoutContext } from '../testing/gpu';
import { randomArray, randomInts } from '../testing/random';
import { rmsnormBackward, rmsnormForward } from './rmsnorm';
import { rmsnormBackwardRef, rmsnormForwardRef } from './rmsnorm.ref';

const EPS = 1e-5;
// [T, C]: stories260K, SmolLM-135M's width with odd T, Llama-8B's width, a width no tile divides, size 1,
// and more rows than the dW kernel's lanes (260 = 32·8 + 4).
const SHAPES: [number, number][] = [
  [4, 64],
  [7, 576],
  [3, 4096],
  [5, 300],
  [1, 1],
  [260, 37],
];
// Forward error is a few f32 roundings of O(1) values; backward has a cancellation between its two terms.
const FORWARD_TOL = { atol: 1e-6, rtol: 2e-5 };
const BACKWARD_TOL = { atol: 2e-6, rtol: 1e-4 };
const FD_REL = 1e-4;
// Relative to at least 1e-3: at C=1 the true dX is ~eps and is all cancellation in f32.
const FD_FLOOR = 1e-3;

function inputs(rows: number, channels: number, seed: number) {
  const x = randomArray(rows * channels, seed, 2);
  if (rows > 2) x.fill(0, channels, 2 * channels); // an all-zero row (padding): rstd = 1/sqrt(eps)
  const w = randomArray(channels, seed + 1).map((v) => 1 + 0.5 * v);
  const dY = randomArray(rows * channels, seed + 2);
  return { x, w, dY };
}

/** At most ~200 probed indices keep the float64 finite differences quick on wide shapes. */
function probes(n: number, seed: number): number[] | undefined {
  return n <= 200 ? undefined : Array.from(new Set(randomInts(200, n, seed)));
}

// Kernels under test: rmsnorm_forward and rmsnorm_backward (spliced with row_grid and workgroup_sum), and
// rmsnorm_backward_dweight; in both thread layouts (row_threads.ts: 8 threads per row on SwiftShader, 32 on a GPU).
describe.each(['software', 'gpu'] as const)('rmsnorm in the %s layout', (layout) => {
  it.each(SHAPES)('forward matches the CPU reference for T=%i C=%i', async (rows, channels) => {
    const ctx = await layoutContext(layout);
    const { x, w } = inputs(rows, channels, 1);
    const tx = ctx.tensor([rows, channels], 'f32', 'x', x);
    const tw = ctx.tensor([channels], 'f32', 'w', w);
    const y = ctx.tensor([rows, channels], 'f32', 'y');
    const rstd = ctx.tensor([rows], 'f32', 'rstd');
    rmsnormForward(ctx, tx, tw, y, rstd, EPS);
    const ref = rmsnormForwardRef(x, w, channels, EPS);
    assertClose(await ctx.read(y), ref.y, FORWARD_TOL, 'rmsnorm_forward y');
    assertClose(await ctx.read(rstd), ref.rstd, FORWARD_TOL, 'rmsnorm_forward rstd');
    for (const t of [tx, tw, y, rstd]) ctx.release(t);
  });

  it.each(SHAPES)('backward matches the reference and finite differences for T=%i C=%i', async (rows, channels) => {
    const ctx = await layoutContext(layout);
    const { x, w, dY } = inputs(rows, channels, 4);
    const tx = ctx.tensor([rows, channels], 'f32', 'x', x);
    const tw = ctx.tensor([channels], 'f32', 'w', w);
    const y = ctx.tensor([rows, channels], 'f32', 'y');
    const rstd = ctx.tensor([rows], 'f32', 'rstd');
    const tdY = ctx.tensor([rows, channels], 'f32', 'dY', dY);
    const staleX = randomArray(rows * channels, 7);
    const staleW = randomArray(channels, 8);
    const dX = ctx.tensor([rows, channels], 'f32', 'dX', staleX);
    const dW = ctx.tensor([channels], 'f32', 'dW', staleW);
    rmsnormForward(ctx, tx, tw, y, rstd, EPS);
    rmsnormBackward(ctx, tx, tw, rstd, tdY, dX, dW);
    const ref = rmsnormBackwardRef(x, w, dY, channels, EPS);
    const gotX = await ctx.read(dX);
    const gotW = await ctx.read(dW);
    assertClose(gotX, ref.dX, BACKWARD_TOL, 'rmsnorm_backward dX');
    assertClose(gotW, ref.dW, { atol: BACKWARD_TOL.atol * rows, rtol: BACKWARD_TOL.rtol }, 'rmsnorm_backward dW');

    const lossX = (v: Float64Array) => dot(dY, rmsnormForwardRef(v, w, channels, EPS).y);
    const lossW = (v: Float64Array) => dot(dY, rmsnormForwardRef(x, v, channels, EPS).y);
    const ix = probes(x.length, 9);
    const iw = probes(w.length, 10);
    const fdX = finiteDifference(lossX, x, 1e-5, ix);
    const fdW = finiteDifference(lossW, w, 1e-5, iw);
    const pick = (a: ArrayLike<number>, idx?: number[]) => (idx ? idx.map((i) => a[i]) : Array.from(a));
    expect(maxRelativeError(pick(gotX, ix), pick(fdX, ix), FD_FLOOR)).toBeLessThan(FD_REL);
    expect(maxRelativeError(pick(gotW, iw), pick(fdW, iw), FD_FLOOR)).toBeLessThan(FD_REL);

    // Accumulating adds the same gradients onto what is there.
    rmsnormBackward(ctx, tx, tw, rstd, tdY, dX, dW, { accumulateDX: true, accumulateDW: true });
    assertClose(await ctx.read(dX), ref.dX.map((v, i) => v + gotX[i]), BACKWARD_TOL, 'accumulated dX');
    const tolW = { atol: BACKWARD_TOL.atol * rows, rtol: BACKWARD_TOL.rtol };
    assertClose(await ctx.read(dW), ref.dW.map((v, i) => v + gotW[i]), tolW, 'accumulated dW');
    for (const t of [tx, tw, y, rstd, tdY, dX, dW]) ctx.release(t);
  });

  it('backward without dW (frozen weight) writes only dX', async () => {
    const ctx = await layoutContext(layout);
    const [rows, channels] = [3, 70];
    const { x, w, dY } = inputs(rows, channels, 11);
    const tx = ctx.tensor([rows, channels], 'f32', 'x', x);
    const tw = ctx.tensor([channels], 'f32', 'w', w);
    const y = ctx.tensor([rows, channels], 'f32', 'y');
    const rstd = ctx.tensor([rows], 'f32', 'rstd');
    const tdY = ctx.tensor([rows, channels], 'f32', 'dY', dY);
    const dX = ctx.tensor([rows, channels], 'f32', 'dX');
    const before = ctx.dispatches;
    rmsnormForward(ctx, tx, tw, y, rstd, EPS);
    rmsnormBackward(ctx, tx, tw, rstd, tdY, dX, null);
    expect(ctx.dispatches - before).toBe(2);
    assertClose(await ctx.read(dX), rmsnormBackwardRef(x, w, dY, channels, EPS).dX, BACKWARD_TOL, 'dX');
    for (const t of [tx, tw, y, rstd, tdY, dX]) ctx.release(t);
  });

  it('refuses mismatched shapes and aliased outputs, naming the kernel', async () => {
    const ctx = await layoutContext(layout);
    const x = ctx.tensor([3, 8]);
    const w = ctx.tensor([8]);
    const rstd = ctx.tensor([3]);
    expect(() => rmsnormForward(ctx, x, ctx.tensor([7]), ctx.tensor([3, 8]), rstd, EPS)).toThrow(
      /rmsnorm_forward: w .* expected \[8:f32\]/,
    );
    expect(() => rmsnormForward(ctx, x, w, x, rstd, EPS)).toThrow(/rmsnorm_forward: .* shares a buffer/);
    expect(() => rmsnormBackward(ctx, x, w, ctx.tensor([4]), x, ctx.tensor([3, 8]), null)).toThrow(
      /rmsnorm_backward: rstd/,
    );
  });
});
