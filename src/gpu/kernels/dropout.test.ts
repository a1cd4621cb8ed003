import { describe, expect, it } from 'vitest';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { dropoutBackward, dropoutForward } from './dropout';
import { dropoutForwardRef, dropoutKeeps } from './dropout.ref';

// Kernels under test: dropout_forward, spliced with linear_grid.
describe('dropout', () => {
  it.each([
    [1, 0.5, 7],
    [1000, 0.1, 123456],
    [4099, 0.3, 0xfffffff0],
  ])('forward matches the mask of the CPU reference exactly (n=%i, p=%f, seed=%i)', async (n, p, seed) => {
    const ctx = await testContext();
    const x = randomArray(n, 3);
    const tx = ctx.tensor([n], 'f32', 'x', x);
    const out = ctx.tensor([n], 'f32', 'out');
    dropoutForward(ctx, tx, out, { p, seed });
    assertClose(await ctx.read(out), dropoutForwardRef(x, seed, p), { atol: 0, rtol: 0 }, 'dropout_forward');
    for (const t of [tx, out]) ctx.release(t);
  });

  it('keeps about 1 − p of the elements, and another seed draws another mask', () => {
    const n = 20000;
    let kept = 0;
    let same = 0;
    for (let i = 0; i < n; i++) {
      const a = dropoutKeeps(i, 42, 0.25);
      kept += Number(a);
      same += Number(a === dropoutKeeps(i, 43, 0.25));
    }
    expect(kept / n).toBeGreaterThan(0.74);
    expect(kept / n).toBeLessThan(0.76);
    expect(same / n).toBeLessThan(0.7); // independent masks agree on ~0.75² + 0.25² = 62.5% of elements
  });

  it('backward is the transpose of the forward: central finite differences of Σ dOut·dropout(x), and accumulation', async () => {
    const ctx = await testContext();
    const n = 300;
    const p = 0.4;
    const seed = 99;
    const x = randomArray(n, 5);
    const dOut = randomArray(n, 6);
    const prior = randomArray(n, 7);
    const tDOut = ctx.tensor([n], 'f32', 'dOut', dOut);
    const dX = ctx.tensor([n], 'f32', 'dX', prior);
    dropoutBackward(ctx, tDOut, dX, { p, seed, accumulate: true });
    const got = await ctx.read(dX);
    const h = 1e-2;
    const objective = (v: Float32Array) => dropoutForwardRef(v, seed, p).reduce((s, y, i) => s + y * dOut[i], 0);
    const fd = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const plus = Float32Array.from(x);
      const minus = Float32Array.from(x);
      plus[i] += h;
      minus[i] -= h;
      fd[i] = prior[i] + (objective(plus) - objective(minus)) / (2 * h);
    }
    assertClose(got, fd, { atol: 1e-3, rtol: 1e-3 }, 'dropout_backward vs finite differences');
    ctx.release(tDOut);
    ctx.release(dX);
  });

  it('refuses p outside [0, 1) and aliased buffers, naming the kernel', async () => {
    const ctx = await testContext();
    const a = ctx.tensor([4]);
    const b = ctx.tensor([4]);
    expect(() => dropoutForward(ctx, a, b, { p: 1, seed: 1 })).toThrow(/dropout_forward: p = 1 must be in \[0, 1\)/);
    expect(() => dropoutBackward(ctx, a, a, { p: 0.1, seed: 1 })).toThrow(/dropout_backward: .* share a buffer/);
    expect(() => dropoutForward(ctx, a, b, { p: 0.1, seed: -1 })).toThrow(/seed -1 must be a u32/);
  });
});
