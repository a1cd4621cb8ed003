import { describe, it } from 'vitest';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { matmulBackwardInput, matmulBackwardWeight, matmulForward } from './matmul';
import { matmulBackwardInputRef, matmulBackwardWeightRef, matmulForwardRef } from './matmul.ref';

describe('matmul (placeholder smoke test)', () => {
  it('forward and backward products match the CPU reference', async () => {
    const ctx = await testContext();
    const [m, n, k] = [7, 13, 5];
    const x = randomArray(m * k, 1), w = randomArray(n * k, 2), dy = randomArray(m * n, 3), b = randomArray(n, 4);
    const tx = ctx.tensor([m, k], 'f32', 'x', x), tw = ctx.tensor([n, k], 'f32', 'w', w);
    const tdy = ctx.tensor([m, n], 'f32', 'dy', dy), tb = ctx.tensor([n], 'f32', 'b', b);
    const y = ctx.tensor([m, n]), dx = ctx.tensor([m, k]), dw = ctx.tensor([n, k]);
    matmulForward(ctx, tx, tw, y, { bias: tb, scale: 0.5 });
    matmulBackwardInput(ctx, tdy, tw, dx);
    matmulBackwardWeight(ctx, tdy, tx, dw);
    const tol = { atol: 1e-5, rtol: 1e-5 };
    assertClose(await ctx.read(y), matmulForwardRef(x, w, m, n, k, { bias: b, scale: 0.5 }), tol, 'y');
    assertClose(await ctx.read(dx), matmulBackwardInputRef(dy, w, m, n, k), tol, 'dx');
    assertClose(await ctx.read(dw), matmulBackwardWeightRef(dy, x, m, n, k), tol, 'dw');
  });
});
