import { describe, expect, it } from 'vitest';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { columnScaleBackward, columnScaleForward } from './column_scale';
import { columnScaleBackwardRef, columnScaleForwardRef } from './column_scale.ref';

// [T, N]: stories260K's k/v width (32) and MLP width (172), SmolLM2's k/v (192) with odd T, one value, and a
// width just past a backward workgroup.
const SHAPES: [number, number][] = [
  [5, 32],
  [4, 172],
  [7, 192],
  [1, 1],
  [3, 65],
];
const TOL = { atol: 1e-6, rtol: 1e-5 };

// Kernels under test: column_scale_forward (spliced with linear_grid) and column_scale_backward.
describe('column scale (IA³, DoRA)', () => {
  it.each(SHAPES)('forward, residual and backward (written and accumulated) match the reference for T=%i N=%i', async (T, N) => {
    const ctx = await testContext();
    const x = randomArray(T * N, 1, 2);
    const l = randomArray(N, 2, 1.5);
    const residual = randomArray(T * N, 3);
    const dy = randomArray(T * N, 4);
    const dx0 = randomArray(T * N, 5);
    const dl0 = randomArray(N, 6);
    const [tx, tl, tr, tdy] = [ctx.tensor([T, N], 'f32', 'x', x), ctx.tensor([N], 'f32', 'l', l), ctx.tensor([T, N], 'f32', 'r', residual), ctx.tensor([T, N], 'f32', 'dy', dy)];
    const y = ctx.tensor([T, N]);
    const yr = ctx.tensor([T, N]);
    const yb = ctx.tensor([T, N]);
    const bias = randomArray(N, 10);
    const c = randomArray(N, 11, 1.5);
    const [tb, tc] = [ctx.tensor([N], 'f32', 'bias', bias), ctx.tensor([N], 'f32', 'c', c)];
    columnScaleForward(ctx, tx, tl, y);
    columnScaleForward(ctx, tx, tl, yr, { residual: tr });
    columnScaleForward(ctx, tx, tl, yb, { residual: tr, bias: tb });
    assertClose(await ctx.read(y), columnScaleForwardRef(x, l), TOL, 'y');
    assertClose(await ctx.read(yr), columnScaleForwardRef(x, l, residual), TOL, 'y + residual');
    assertClose(await ctx.read(yb), columnScaleForwardRef(x, l, residual, bias), TOL, 'y + bias + residual');
    // Accumulated and written dx, and DoRA's per-column factor on dl.
    for (const [accumulate, gradScale] of [[false, undefined], [true, undefined], [false, tc]] as const) {
      const ref = columnScaleBackwardRef(dy, x, l, gradScale ? c : undefined);
      const dx = ctx.tensor([T, N], 'f32', 'dx', dx0);
      const dl = ctx.tensor([N], 'f32', 'dl', dl0);
      columnScaleBackward(ctx, tdy, tx, tl, dx, dl, { accumulate, gradScale });
      const tolT = { atol: 1e-6 * T, rtol: 1e-5 };
      const what = `(accumulate ${accumulate}, grad scale ${gradScale !== undefined})`;
      assertClose(await ctx.read(dx), ref.dx.map((v, i) => v + (accumulate ? dx0[i] : 0)), TOL, `dx ${what}`);
      assertClose(await ctx.read(dl), ref.dl.map((v, j) => v + dl0[j]), tolT, `dl += Σ dy·x ${what}`);
      ctx.release(dx);
      ctx.release(dl);
    }
    for (const t of [tx, tl, tr, tdy, y, yr, yb, tb, tc]) ctx.release(t);
  });

  it('backward matches finite differences of the forward reference, for x and for l', async () => {
    const ctx = await testContext();
    const [T, N] = [6, 40];
    const x = randomArray(T * N, 7, 2);
    const l = randomArray(N, 8, 1.5);
    const w = randomArray(T * N, 9);
    const dx = ctx.tensor([T, N]);
    const dl = ctx.tensor([N]);
    columnScaleBackward(ctx, ctx.tensor([T, N], 'f32', 'dy', w), ctx.tensor([T, N], 'f32', 'x', x), ctx.tensor([N], 'f32', 'l', l), dx, dl);
    const fdX = finiteDifference((v) => dot(w, columnScaleForwardRef(v, l)), x);
    const fdL = finiteDifference((v) => dot(w, columnScaleForwardRef(x, v)), l);
    expect(maxRelativeError(await ctx.read(dx), fdX)).toBeLessThan(1e-5);
    expect(maxRelativeError(await ctx.read(dl), fdL)).toBeLessThan(1e-5);
  });

  it('refuses mismatched shapes and aliased outputs, naming the kernel', async () => {
    const ctx = await testContext();
    const a = ctx.tensor([2, 6]);
    const l = ctx.tensor([6]);
    expect(() => columnScaleForward(ctx, a, ctx.tensor([5]), ctx.tensor([2, 6]))).toThrow(/column_scale_forward: l .* expected 6 f32 values/);
    expect(() => columnScaleForward(ctx, a, l, a)).toThrow(/column_scale_forward: y .* shares a buffer with x/);
    expect(() => columnScaleBackward(ctx, a, ctx.tensor([2, 5]), l, ctx.tensor([2, 6]), ctx.tensor([6]))).toThrow(/column_scale_backward: x .* expected \[2×6:f32\]/);
    expect(() => columnScaleBackward(ctx, a, a, l, ctx.tensor([2, 6]), l)).toThrow(/column_scale_backward: dl .* shares a buffer with l/);
  });
});
