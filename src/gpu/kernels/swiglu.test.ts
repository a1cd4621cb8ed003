import { describe, expect, it } from 'vitest';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray, randomInts } from '../testing/random';
import { swigluBackward, swigluForward } from './swiglu';
import { swigluBackwardRef, swigluForwardRef } from './swiglu.ref';

// [T, F]: stories260K's F=172, SmolLM-135M's F=1536 with odd T, size 1, and a width just past a workgroup.
const SHAPES: [number, number][] = [
  [4, 172],
  [7, 1536],
  [1, 1],
  [3, 257],
];
// exp is good to a few ulp; products of three or four O(1..4) factors stay within ~1e-6 relative.
const TOL = { atol: 1e-6, rtol: 1e-5 };

function inputs(n: number, seed: number) {
  const gate = randomArray(n, seed, 4);
  // Saturated gates: sigmoid must neither overflow exp nor lose its sign.
  const extremes = [-100, -30, 30, 100, 0];
  extremes.forEach((v, k) => {
    if (k < n) gate[(k * 37) % n] = v;
  });
  return { gate, up: randomArray(n, seed + 1, 2), dOut: randomArray(n, seed + 2) };
}

// Kernels under test: swiglu_forward and swiglu_backward, spliced with linear_grid and sigmoid.
describe('swiglu', () => {
  it.each(SHAPES)('forward and backward match the reference for T=%i F=%i', async (T, F) => {
    const ctx = await testContext();
    const { gate, up, dOut } = inputs(T * F, 1);
    const tg = ctx.tensor([T, F], 'f32', 'gate', gate);
    const tu = ctx.tensor([T, F], 'f32', 'up', up);
    const td = ctx.tensor([T, F], 'f32', 'dOut', dOut);
    const out = ctx.tensor([T, F], 'f32', 'out');
    const dGate = ctx.tensor([T, F], 'f32', 'dGate');
    const dUp = ctx.tensor([T, F], 'f32', 'dUp');
    swigluForward(ctx, tg, tu, out);
    swigluBackward(ctx, tg, tu, td, dGate, dUp);
    assertClose(await ctx.read(out), swigluForwardRef(gate, up), TOL, 'swiglu_forward');
    const ref = swigluBackwardRef(gate, up, dOut);
    assertClose(await ctx.read(dGate), ref.dGate, TOL, 'swiglu_backward dGate');
    assertClose(await ctx.read(dUp), ref.dUp, TOL, 'swiglu_backward dUp');
    for (const t of [tg, tu, td, out, dGate, dUp]) ctx.release(t);
  });

  it('backward matches finite differences of the forward reference', async () => {
    const ctx = await testContext();
    const [T, F] = [3, 172];
    const { gate, up, dOut } = inputs(T * F, 4);
    const tg = ctx.tensor([T, F], 'f32', 'gate', gate);
    const tu = ctx.tensor([T, F], 'f32', 'up', up);
    const td = ctx.tensor([T, F], 'f32', 'dOut', dOut);
    const dGate = ctx.tensor([T, F], 'f32', 'dGate');
    const dUp = ctx.tensor([T, F], 'f32', 'dUp');
    swigluBackward(ctx, tg, tu, td, dGate, dUp);
    const probe = Array.from(new Set([...randomInts(150, T * F, 5), 0, 37, 74, 111, 148]));
    const fdGate = finiteDifference((g) => dot(dOut, swigluForwardRef(g, up)), gate, 1e-5, probe);
    const fdUp = finiteDifference((u) => dot(dOut, swigluForwardRef(gate, u)), up, 1e-5, probe);
    const pick = (a: ArrayLike<number>) => probe.map((i) => a[i]);
    expect(maxRelativeError(pick(await ctx.read(dGate)), pick(fdGate))).toBeLessThan(1e-5);
    expect(maxRelativeError(pick(await ctx.read(dUp)), pick(fdUp))).toBeLessThan(1e-5);
    for (const t of [tg, tu, td, dGate, dUp]) ctx.release(t);
  });

  it('refuses mismatched shapes and aliased outputs, naming the kernel', async () => {
    const ctx = await testContext();
    const a = ctx.tensor([2, 6]);
    const b = ctx.tensor([2, 6]);
    expect(() => swigluForward(ctx, a, ctx.tensor([2, 5]), b)).toThrow(/swiglu_forward: up .* expected \[2×6:f32\]/);
    expect(() => swigluForward(ctx, a, b, a)).toThrow(/swiglu_forward: out .* shares a buffer with gate/);
    expect(() => swigluBackward(ctx, a, b, ctx.tensor([2, 6], 'u32'), ctx.tensor([2, 6]), ctx.tensor([2, 6]))).toThrow(
      /swiglu_backward: dOut/,
    );
  });
});
