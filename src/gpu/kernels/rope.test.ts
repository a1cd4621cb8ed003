import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../context';
import { assertClose, dot, finiteDifference, maxRelativeError } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray, randomInts } from '../testing/random';
import { ropeBackward, ropeForward, ropeInverseFrequencies, type RopeLayout } from './rope';
import { ropeRef } from './rope.ref';

// [T, H, D]: SmolLM's D=64 with H=9 and odd T, D=8 with H=3, one token of one pair, and D/2 odd.
const SHAPES: [number, number, number][] = [
  [5, 3, 8],
  [3, 9, 64],
  [1, 1, 2],
  [7, 2, 6],
];
const LAYOUTS: RopeLayout[] = ['half', 'interleaved'];
const CASES = SHAPES.flatMap((s) => LAYOUTS.map((l) => [...s, l] as const));
// The shader's own sin/cos are good to ~1e-7 (3e-7 passes on SwiftShader); margin for fma contraction elsewhere.
const TOL = { atol: 1e-6, rtol: 0 };

/** Positions as a packed batch has them: restarting at 0 mid-sequence, plus one far position. */
function packedPositions(tokens: number): Uint32Array {
  const p = Uint32Array.from({ length: tokens }, (_, t) => (t < 3 ? t : t - 3));
  if (tokens > 1) p[tokens - 1] = 4093;
  return p;
}

async function run(
  ctx: GpuContext,
  direction: 'forward' | 'backward',
  x: Float32Array,
  shape: readonly [number, number, number],
  positions: Uint32Array,
  invFreq: Float32Array,
  layout: RopeLayout,
  inPlace: boolean,
): Promise<Float32Array> {
  const input = ctx.tensor(shape, 'f32', 'x', x);
  const output = inPlace ? input : ctx.tensor(shape, 'f32', 'out');
  const pos = ctx.tensor([shape[0]], 'u32', 'positions', positions);
  const freq = ctx.tensor([shape[2] / 2], 'f32', 'invFreq', invFreq);
  (direction === 'forward' ? ropeForward : ropeBackward)(ctx, input, output, pos, freq, layout);
  const result = (await ctx.read(output)) as Float32Array;
  for (const t of new Set([input, output, pos, freq])) ctx.release(t);
  return result;
}

// Kernels under test: rope_forward, both entry points: main (out of place) and main_inplace (which replaced
// rope_forward_inplace.wgsl).
describe('rope', () => {
  it.each(CASES)('forward and backward match the reference for T=%i H=%i D=%i (%s)', async (T, H, D, layout) => {
    const ctx = await testContext();
    const shape = [T, H, D] as const;
    const x = randomArray(T * H * D, 1);
    const positions = packedPositions(T);
    const invFreq = ropeInverseFrequencies(D, 10000);
    for (const inPlace of [false, true]) {
      const fwd = await run(ctx, 'forward', x, shape, positions, invFreq, layout, inPlace);
      assertClose(fwd, ropeRef(x, positions, invFreq, H, layout), TOL, `rope_forward inPlace=${inPlace}`);
      const bwd = await run(ctx, 'backward', x, shape, positions, invFreq, layout, inPlace);
      assertClose(bwd, ropeRef(x, positions, invFreq, H, layout, true), TOL, `rope_backward inPlace=${inPlace}`);
    }
  });

  it.each(LAYOUTS)('backward matches finite differences of the forward reference (%s)', async (layout) => {
    const ctx = await testContext();
    const shape = [4, 3, 8] as const;
    const x = randomArray(4 * 3 * 8, 2);
    const dOut = randomArray(x.length, 3);
    const positions = Uint32Array.from([0, 1, 17, 250]);
    const invFreq = ropeInverseFrequencies(8, 10000);
    const got = await run(ctx, 'backward', dOut, shape, positions, invFreq, layout, false);
    const numeric = finiteDifference((v) => dot(dOut, ropeRef(v, positions, invFreq, 3, layout)), x);
    expect(maxRelativeError(got, numeric)).toBeLessThan(1e-5);
  });

  it('the two layouts agree when each head is permuted between them', async () => {
    const ctx = await testContext();
    const [T, H, D] = [5, 3, 64];
    const half = D / 2;
    const xHalf = randomArray(T * H * D, 4);
    // interleaved[2i] = half[i], interleaved[2i + 1] = half[i + D/2], within every head.
    const toInterleaved = (v: ArrayLike<number>) => {
      const out = new Float32Array(v.length);
      for (let base = 0; base < v.length; base += D) {
        for (let i = 0; i < half; i++) {
          out[base + 2 * i] = v[base + i];
          out[base + 2 * i + 1] = v[base + i + half];
        }
      }
      return out;
    };
    const positions = randomInts(T, 2048, 5);
    const invFreq = ropeInverseFrequencies(D, 500000);
    for (const direction of ['forward', 'backward'] as const) {
      const a = await run(ctx, direction, xHalf, [T, H, D], positions, invFreq, 'half', false);
      const b = await run(ctx, direction, toInterleaved(xHalf), [T, H, D], positions, invFreq, 'interleaved', false);
      assertClose(b, toInterleaved(a), { atol: 0, rtol: 0 }, `rope_${direction} layouts`);
    }
  });

  it('stays accurate at large positions (angle range reduction)', async () => {
    const ctx = await testContext();
    const [T, H, D] = [6, 1, 16];
    const x = randomArray(T * H * D, 6);
    const positions = Uint32Array.from([8191, 32767, 65535, 100003, 131071, 200000]);
    const invFreq = ropeInverseFrequencies(D, 10000);
    const got = await run(ctx, 'forward', x, [T, H, D], positions, invFreq, 'half', false);
    assertClose(got, ropeRef(x, positions, invFreq, H, 'half'), TOL, 'rope_forward far');
  });

  it('computes inverse frequencies as theta^(−2i/D)', () => {
    const f = ropeInverseFrequencies(64, 10000);
    expect(f.length).toBe(32);
    expect(f[0]).toBe(1);
    expect(f[1]).toBe(Math.fround(10000 ** (-2 / 64)));
    expect(f[31]).toBe(Math.fround(10000 ** (-62 / 64)));
    expect(() => ropeInverseFrequencies(7, 10000)).toThrow(/even/);
  });

  it('refuses bad shapes and dtypes, naming the kernel', async () => {
    const ctx = await testContext();
    const x = ctx.tensor([2, 3, 8]);
    const pos = ctx.tensor([2], 'u32');
    const freq = ctx.tensor([4]);
    expect(() => ropeForward(ctx, ctx.tensor([2, 3, 7]), ctx.tensor([2, 3, 7]), pos, freq, 'half')).toThrow(
      /rope_forward: head dim D must be even/,
    );
    expect(() => ropeForward(ctx, x, ctx.tensor([2, 3, 8]), ctx.tensor([2]), freq, 'half')).toThrow(
      /rope_forward: positions .* expected \[2:u32\]/,
    );
    expect(() => ropeBackward(ctx, x, x, pos, ctx.tensor([8]), 'interleaved')).toThrow(/rope_backward: invFreq/);
  });
});
