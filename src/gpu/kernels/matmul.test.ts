import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../context';
import { assertClose, dot, finiteDifference, maxRelativeError, type Tolerance } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { matmulBackwardInput, matmulBackwardWeight, matmulForward } from './matmul';
import { matmulBackwardInputRef, matmulBackwardWeightRef, matmulForwardRef } from './matmul.ref';

/**
 * [M tokens, N out, K in]. The kernels tile 64×64 outputs and stage 32 along the reduction, so these cover:
 * one token, odd token counts (7, 33, 257), widths no tile divides (172 = 2·64 + 44, 1536 = 24·64 but a
 * reduction of 48 steps, 576 = 9·64), the LM head's 49152 rows at tiny M and K, and K or N not a multiple of 4
 * (the scalar-load entry point) next to multiples of 4 (the vec4 one). LoRA's rank-8 shapes (N = 8, K = 8, and
 * dW outputs of 8 rows or columns) and sides below 8 take the narrowed tilings of tilingFor (one thread along
 * the narrow side, TK cut to the reduction's depth), including at odd M. M ≤ 8 with K a multiple of 8 takes the
 * matrix-vector (decode) kernel instead: [1,172,64], [3,576,576], [2,1536,576], [1,576,1536], [2,49152,8].
 */
const SHAPES: [number, number, number][] = [
  [1, 172, 64],
  [7, 64, 172],
  [33, 172, 64],
  [7, 576, 172],
  [3, 576, 576],
  [2, 1536, 576],
  [1, 576, 1536],
  [2, 49152, 8],
  [257, 20, 36],
  [7, 13, 5],
  [33, 57, 173],
  [257, 8, 576],
  [70, 576, 8],
  [33, 6, 5],
  [9, 3, 7],
];

/**
 * Worst-case bound of f32 summation: an output may be off by (terms + 8)·2⁻²⁴·Σ|products| (the products, the
 * scale and epilogue adds). Taken at the largest Σ|products| of the whole result, so a wrong index, a dropped
 * tile or a missing term (an error the size of one product, ≈ Σ|products| / terms) fails it.
 */
function summationTolerance(absProducts: ArrayLike<number>, terms: number): Tolerance {
  let max = 0;
  for (let i = 0; i < absProducts.length; i++) max = Math.max(max, Math.abs(absProducts[i]));
  return { atol: (terms + 8) * 2 ** -24 * max, rtol: 0 };
}
const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

function upload(ctx: GpuContext, shape: number[], data: Float32Array, label: string) {
  return ctx.tensor(shape, 'f32', label, data);
}

// Kernels under test: matmul_forward, matmul_backward_input and matmul_backward_weight, each spliced with
// matmul_tile_loop, matmul_register_block and (forward and backward input) matmul_low_rank.
describe('matmulForward: Y = scale·X·Wᵀ + bias + residual', () => {
  it.each(SHAPES)('M=%i N=%i K=%i matches the CPU reference', async (m, n, k) => {
    const ctx = await testContext();
    const x = randomArray(m * k, 1), w = randomArray(n * k, 2);
    const tx = upload(ctx, [m, k], x, 'x'), tw = upload(ctx, [n, k], w, 'w'), y = ctx.tensor([m, n], 'f32', 'y');
    matmulForward(ctx, tx, tw, y);
    const tol = summationTolerance(matmulForwardRef(abs(x), abs(w), m, n, k), k);
    assertClose(await ctx.read(y), matmulForwardRef(x, w, m, n, k), tol, `y ${m}×${n}×${k}`);
    for (const t of [tx, tw, y]) ctx.release(t);
  });

  // K = 64 takes the vec4 entry point, K = 37 the scalar one, M = 3 the matrix-vector kernel; the epilogue is shared.
  it.each([
    [33, 172, 64],
    [7, 70, 37],
    [3, 70, 64],
  ])('epilogue (bias, residual, scale, accumulate, wRows) at M=%i N=%i K=%i', async (m, n, k) => {
    const ctx = await testContext();
    const total = n + 9; // W has more rows than the product uses; wRows picks [5, 5 + n).
    const wRows = { offset: 5, count: n };
    const x = randomArray(m * k, 11), w = randomArray(total * k, 12), bias = randomArray(total, 13);
    const residual = randomArray(m * n, 14), y0 = randomArray(m * n, 15);
    const tx = upload(ctx, [m, k], x, 'x'), tw = upload(ctx, [total, k], w, 'w');
    const tb = upload(ctx, [total], bias, 'bias'), tr = upload(ctx, [m, n], residual, 'residual');
    const y = upload(ctx, [m, n], y0, 'y');
    const scale = -0.375;
    const tol = summationTolerance(matmulForwardRef(abs(x), abs(w), m, n, k, { rowOffset: 5 }), k + 3);

    matmulForward(ctx, tx, tw, y, { bias: tb, residual: tr, scale, wRows });
    const expected = matmulForwardRef(x, w, m, n, k, { bias, residual, scale, rowOffset: 5 });
    assertClose(await ctx.read(y), expected, tol, 'bias + residual + scale + wRows');

    ctx.write(y, y0);
    matmulForward(ctx, tx, tw, y, { scale, accumulate: true, wRows });
    const product = matmulForwardRef(x, w, m, n, k, { scale, rowOffset: 5 });
    assertClose(await ctx.read(y), product.map((v, i) => v + y0[i]), tol, 'accumulate');

    matmulForward(ctx, tx, tw, y, { bias: tb, wRows });
    assertClose(await ctx.read(y), matmulForwardRef(x, w, m, n, k, { bias, rowOffset: 5 }), tol, 'bias only');
    for (const t of [tx, tw, tb, tr, y]) ctx.release(t);
  });

  // The low-rank (LoRA) term joins the reduction after K: rank 8 (one step), 37 (two steps of TK = 32, the last
  // partial), with bias, residual and accumulate, from the vec4 (K = 64) and scalar (K = 37) entry points.
  it.each([
    [33, 172, 64, 8],
    [70, 64, 64, 37],
    [7, 13, 37, 3],
    [3, 64, 64, 8],
    [1, 13, 8, 37],
  ])('low-rank term at M=%i N=%i K=%i r=%i: Y = X·Wᵀ + bias + residual + s·U·Bᵀ', async (m, n, k, r) => {
    const ctx = await testContext();
    const x = randomArray(m * k, 21), w = randomArray(n * k, 22), bias = randomArray(n, 23);
    const residual = randomArray(m * n, 24), y0 = randomArray(m * n, 25);
    const u = randomArray(m * r, 26), b = randomArray(n * r, 27);
    const s = 0.625;
    const tx = upload(ctx, [m, k], x, 'x'), tw = upload(ctx, [n, k], w, 'w'), tb = upload(ctx, [n], bias, 'bias');
    const tr = upload(ctx, [m, n], residual, 'residual'), y = upload(ctx, [m, n], y0, 'y');
    const tu = upload(ctx, [m, r], u, 'u'), tB = upload(ctx, [n, r], b, 'B');
    const lowRank = { u: tu, b: tB, scale: s };
    const base = matmulForwardRef(x, w, m, n, k, { bias, residual });
    const low = matmulForwardRef(u, b, m, n, r, { scale: s });
    const tol = summationTolerance(
      matmulForwardRef(abs(x), abs(w), m, n, k).map((v, i) => v + matmulForwardRef(abs(u), abs(b), m, n, r)[i]),
      k + r + 3,
    );
    matmulForward(ctx, tx, tw, y, { bias: tb, residual: tr, lowRank });
    assertClose(await ctx.read(y), base.map((v, i) => v + low[i]), tol, 'bias + residual + low rank');
    ctx.write(y, y0);
    matmulForward(ctx, tx, tw, y, { accumulate: true, lowRank });
    const plain = matmulForwardRef(x, w, m, n, k);
    assertClose(await ctx.read(y), plain.map((v, i) => v + low[i] + y0[i]), tol, 'accumulate + low rank');
    expect(() => matmulForward(ctx, tx, tw, y, { scale: 2, lowRank })).toThrow(/matmul_forward: a low-rank term needs scale 1/);
    expect(() => matmulForward(ctx, tx, tw, y, { lowRank: { ...lowRank, b: tu } })).toThrow(/matmul_forward: .* should be/);
    for (const t of [tx, tw, tb, tr, y, tu, tB]) ctx.release(t);
  });

  it('refuses mismatched shapes and rows outside W, naming the kernel', async () => {
    const ctx = await testContext();
    const x = ctx.tensor([3, 8]), w = ctx.tensor([5, 8]), bad = ctx.tensor([5, 7]), y = ctx.tensor([3, 5]);
    expect(() => matmulForward(ctx, x, bad, y)).toThrow(/matmul_forward: weight .* has in=7, expected K=8/);
    expect(() => matmulForward(ctx, x, w, ctx.tensor([3, 4]))).toThrow(/matmul_forward: .* should be \[3×5\]/);
    expect(() => matmulForward(ctx, x, w, y, { wRows: { offset: 3, count: 5 } })).toThrow(
      /matmul_forward: rows \[3, 8\) are outside weight/,
    );
    expect(() => matmulBackwardInput(ctx, y, bad, x)).toThrow(/matmul_backward_input: weight/);
    expect(() => matmulBackwardWeight(ctx, ctx.tensor([3, 4]), x, w)).toThrow(/matmul_backward_weight: .* should be \[3×5\]/);
  });
});

describe('matmulBackwardInput: dX = scale·dY·W', () => {
  it.each(SHAPES)('M=%i N=%i K=%i matches the CPU reference', async (m, n, k) => {
    const ctx = await testContext();
    const dy = randomArray(m * n, 3), w = randomArray(n * k, 4);
    const tdy = upload(ctx, [m, n], dy, 'dy'), tw = upload(ctx, [n, k], w, 'w'), dx = ctx.tensor([m, k], 'f32', 'dx');
    matmulBackwardInput(ctx, tdy, tw, dx);
    const tol = summationTolerance(matmulBackwardInputRef(abs(dy), abs(w), m, n, k), n);
    assertClose(await ctx.read(dx), matmulBackwardInputRef(dy, w, m, n, k), tol, `dx ${m}×${n}×${k}`);
    for (const t of [tdy, tw, dx]) ctx.release(t);
  });

  it.each([
    [33, 172, 64],
    [7, 70, 37],
  ])('scale, accumulate and wRows at M=%i N=%i K=%i', async (m, n, k) => {
    const ctx = await testContext();
    const total = n + 9;
    const wRows = { offset: 5, count: n };
    const dy = randomArray(m * n, 21), w = randomArray(total * k, 22), dx0 = randomArray(m * k, 23);
    const tdy = upload(ctx, [m, n], dy, 'dy'), tw = upload(ctx, [total, k], w, 'w'), dx = upload(ctx, [m, k], dx0, 'dx');
    const scale = 0.625;
    const tol = summationTolerance(matmulBackwardInputRef(abs(dy), abs(w), m, n, k, 1, 5), n + 1);
    matmulBackwardInput(ctx, tdy, tw, dx, { scale, accumulate: true, wRows });
    const expected = matmulBackwardInputRef(dy, w, m, n, k, scale, 5).map((v, i) => v + dx0[i]);
    assertClose(await ctx.read(dx), expected, tol, 'dx accumulate + scale + wRows');
    for (const t of [tdy, tw, dx]) ctx.release(t);
  });
});

describe('matmulBackwardInput with a low-rank term: dX = dY·W + s·dU·A', () => {
  // Rank 8 (one extra step), 37 (two, the last partial); vec4 entry (N, K multiples of 4) and scalar (K = 37).
  it.each([
    [33, 172, 64, 8],
    [70, 64, 64, 37],
    [7, 13, 37, 3],
  ])('M=%i N=%i K=%i r=%i, with and without accumulate', async (m, n, k, r) => {
    const ctx = await testContext();
    const dy = randomArray(m * n, 31), w = randomArray(n * k, 32), dx0 = randomArray(m * k, 33);
    const du = randomArray(m * r, 34), a = randomArray(r * k, 35);
    const tdy = upload(ctx, [m, n], dy, 'dy'), tw = upload(ctx, [n, k], w, 'w'), dx = upload(ctx, [m, k], dx0, 'dx');
    const tdu = upload(ctx, [m, r], du, 'du'), ta = upload(ctx, [r, k], a, 'A');
    const s = -0.75;
    const lowRank = { u: tdu, b: ta, scale: s };
    const base = matmulBackwardInputRef(dy, w, m, n, k);
    const low = matmulBackwardInputRef(du, a, m, r, k, s);
    const absLow = matmulBackwardInputRef(abs(du), abs(a), m, r, k);
    const tol = summationTolerance(matmulBackwardInputRef(abs(dy), abs(w), m, n, k).map((v, i) => v + absLow[i]), n + r + 1);
    matmulBackwardInput(ctx, tdy, tw, dx, { accumulate: true, lowRank });
    assertClose(await ctx.read(dx), base.map((v, i) => v + low[i] + dx0[i]), tol, 'dx accumulate + low rank');
    matmulBackwardInput(ctx, tdy, tw, dx, { lowRank });
    assertClose(await ctx.read(dx), base.map((v, i) => v + low[i]), tol, 'dx + low rank');
    expect(() => matmulBackwardInput(ctx, tdy, tw, dx, { scale: 2, lowRank })).toThrow(/needs scale 1/);
    expect(() => matmulBackwardInput(ctx, tdy, tw, dx, { lowRank: { ...lowRank, b: tdu } })).toThrow(/should be/);
    for (const t of [tdy, tw, dx, tdu, ta]) ctx.release(t);
  });
});

describe('matmulBackwardWeight: dW = scale·dYᵀ·X', () => {
  it.each(SHAPES)('M=%i N=%i K=%i matches the CPU reference', async (m, n, k) => {
    const ctx = await testContext();
    const dy = randomArray(m * n, 5), x = randomArray(m * k, 6);
    const tdy = upload(ctx, [m, n], dy, 'dy'), tx = upload(ctx, [m, k], x, 'x'), dw = ctx.tensor([n, k], 'f32', 'dw');
    matmulBackwardWeight(ctx, tdy, tx, dw);
    const tol = summationTolerance(matmulBackwardWeightRef(abs(dy), abs(x), m, n, k), m);
    assertClose(await ctx.read(dw), matmulBackwardWeightRef(dy, x, m, n, k), tol, `dw ${m}×${n}×${k}`);
    for (const t of [tdy, tx, dw]) ctx.release(t);
  });

  it.each([
    [33, 172, 64],
    [7, 70, 37],
  ])('scale, accumulate and wRows at M=%i N=%i K=%i leave the other rows alone', async (m, n, k) => {
    const ctx = await testContext();
    const total = n + 9;
    const dy = randomArray(m * n, 31), x = randomArray(m * k, 32), dw0 = randomArray(total * k, 33);
    const tdy = upload(ctx, [m, n], dy, 'dy'), tx = upload(ctx, [m, k], x, 'x'), dw = upload(ctx, [total, k], dw0, 'dw');
    const scale = 1.5;
    matmulBackwardWeight(ctx, tdy, tx, dw, { scale, accumulate: true, wRows: { offset: 5, count: n } });
    const block = matmulBackwardWeightRef(dy, x, m, n, k, scale);
    // Rows [5, 5 + n) gain the product; rows outside the slice keep their values exactly.
    const expected = Float64Array.from(dw0, (v, i) => {
      const row = Math.floor(i / k);
      return row >= 5 && row < 5 + n ? v + block[i - 5 * k] : v;
    });
    const tol = summationTolerance(matmulBackwardWeightRef(abs(dy), abs(x), m, n, k, scale), m + 1);
    assertClose(await ctx.read(dw), expected, tol, 'dw accumulate + scale + wRows');
    for (const t of [tdy, tx, dw]) ctx.release(t);
  });
});

describe('matmul backward products against finite differences of the forward reference', () => {
  // loss = Σ G∘Y with Y = X·Wᵀ, so dL/dX = G·W and dL/dW = Gᵀ·X; the loss is bilinear, so central differences
  // in f64 are exact up to rounding and any real error in a gradient kernel shows far above FD_REL.
  // M = 9 reaches the second row of each thread's 8×8 block.
  const FD_REL = 1e-4;
  it.each([
    [5, 7, 6],
    [3, 9, 13],
    [1, 4, 8],
    [9, 10, 5],
  ])('M=%i N=%i K=%i', async (m, n, k) => {
    const ctx = await testContext();
    const x = randomArray(m * k, 41), w = randomArray(n * k, 42), g = randomArray(m * n, 43);
    const tx = upload(ctx, [m, k], x, 'x'), tw = upload(ctx, [n, k], w, 'w'), tg = upload(ctx, [m, n], g, 'g');
    const dx = ctx.tensor([m, k], 'f32', 'dx'), dw = ctx.tensor([n, k], 'f32', 'dw');
    matmulBackwardInput(ctx, tg, tw, dx);
    matmulBackwardWeight(ctx, tg, tx, dw);
    const fdX = finiteDifference((xp) => dot(g, matmulForwardRef(xp, w, m, n, k)), x, 1e-3);
    const fdW = finiteDifference((wp) => dot(g, matmulForwardRef(x, wp, m, n, k)), w, 1e-3);
    expect(maxRelativeError(await ctx.read(dx), fdX)).toBeLessThan(FD_REL);
    expect(maxRelativeError(await ctx.read(dw), fdW)).toBeLessThan(FD_REL);
    for (const t of [tx, tw, tg, dx, dw]) ctx.release(t);
  });
});
