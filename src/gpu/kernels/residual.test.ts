import { describe, expect, it } from 'vitest';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { residualAccumulate, residualForward } from './residual';
import { residualForwardRef } from './residual.ref';

// Sizes: tiny, not a multiple of the workgroup, and one past 65,535 workgroups to exercise the folded 2-D grid
// (single values); one vec4, and a row count that is not a multiple of the workgroup (the vec4 kernel).
const SIZES = [1, 257, 256 * 65536 + 3, 4, 576 * 7];

// Kernels under test: residual_forward and residual_forward_inplace, spliced with linear_grid.
describe('residual', () => {
  it.each(SIZES)('forward matches the CPU reference for n=%i (exact)', async (n) => {
    const ctx = await testContext();
    const a = randomArray(n, 1);
    const b = randomArray(n, 2);
    const ta = ctx.tensor([n], 'f32', 'a', a);
    const tb = ctx.tensor([n], 'f32', 'b', b);
    const out = ctx.tensor([n], 'f32', 'out');
    residualForward(ctx, ta, tb, out);
    assertClose(await ctx.read(out), residualForwardRef(a, b), { atol: 0, rtol: 0 }, 'residual_forward');
    residualAccumulate(ctx, ta, tb);
    assertClose(await ctx.read(ta), residualForwardRef(a, b), { atol: 0, rtol: 0 }, 'residual_forward_inplace');
    for (const t of [ta, tb, out]) ctx.release(t);
  });

  it('refuses tensors of different sizes, naming the kernel', async () => {
    const ctx = await testContext();
    const a = ctx.tensor([4]);
    const b = ctx.tensor([5]);
    expect(() => residualForward(ctx, a, b, a)).toThrow(/residual_forward: sizes differ/);
  });
});
