import { describe, expect, it } from 'vitest';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { gradNormPartials, gradNormSquared } from './grad_norm';
import { gradNormSquaredRef } from './grad_norm.ref';

// Sizes around the 2048-element block, size 1, an empty tensor, and lists longer than the 7 tensors per dispatch.
const LISTS: number[][] = [
  [1],
  [2048],
  [2049, 0, 3],
  [257, 1, 4095, 4096, 4097, 10, 11, 12, 5000],
  Array.from({ length: 20 }, (_, i) => 1 + ((i * 733) % 3001)),
  [100_003, 7],
];

// Kernels under test: grad_norm_forward (spliced with row_grid and workgroup_sum) and grad_norm_forward_finish
// (spliced with workgroup_sum).
describe('grad_norm', () => {
  it.each(LISTS.map((sizes) => [sizes]))('Σ g² matches the float64 reference for sizes %j', async (sizes) => {
    const ctx = await testContext();
    const data = sizes.map((n, i) => randomArray(n, 100 + i, 0.5 + i));
    const grads = data.map((d, i) => ctx.tensor([d.length], 'f32', `g${i}`, d));
    const out = ctx.tensor([3], 'f32', 'out', Float32Array.from([-1, -1, -1]));
    const before = ctx.dispatches;
    gradNormSquared(ctx, grads, out, { index: 1 });
    const live = sizes.filter((n) => n > 0).length;
    expect(ctx.dispatches - before).toBe(Math.ceil(live / 7) + 1);
    const first = await ctx.read(out);
    // f32 partial sums of up to 2048 squares, then a tree over the partials: a few ulps of relative error.
    assertClose(first, [-1, gradNormSquaredRef(data), -1], { atol: 0, rtol: 1e-5 }, 'normSq');
    gradNormSquared(ctx, grads, out, { index: 1 });
    expect(Array.from(await ctx.read(out))).toEqual(Array.from(first)); // bitwise deterministic
    for (const t of [...grads, out]) ctx.release(t);
  });

  it('writes 0 for no gradients, and accepts a caller-owned partials buffer', async () => {
    const ctx = await testContext();
    const out = ctx.tensor([1], 'f32', 'out', Float32Array.from([7]));
    gradNormSquared(ctx, [], out);
    expect((await ctx.read(out))[0]).toBe(0);
    const data = [randomArray(3000, 1), randomArray(5, 2)];
    const grads = data.map((d) => ctx.tensor([d.length], 'f32', 'g', d));
    expect(gradNormPartials(grads)).toBe(3);
    const partials = ctx.tensor([3], 'f32', 'partials');
    gradNormSquared(ctx, grads, out, { partials });
    assertClose(await ctx.read(out), [gradNormSquaredRef(data)], { atol: 0, rtol: 1e-5 }, 'normSq');
  });

  it('refuses bad dtypes, indices and aliasing, naming the kernel', async () => {
    const ctx = await testContext();
    const g = ctx.tensor([10]);
    const out = ctx.tensor([2]);
    expect(() => gradNormSquared(ctx, [ctx.tensor([4], 'i32')], out)).toThrow(/grad_norm_forward: gradient .* f32/);
    expect(() => gradNormSquared(ctx, [g], out, { index: 2 })).toThrow(/grad_norm_forward: out .* index 2/);
    expect(() => gradNormSquared(ctx, [g, out], out)).toThrow(/grad_norm_forward: out .* is also a gradient/);
    expect(() => gradNormSquared(ctx, [g], out, { partials: g })).toThrow(/partials .* shares a buffer/);
  });
});
