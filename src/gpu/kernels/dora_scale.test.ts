import { describe, expect, it } from 'vitest';
import { QUANT_FORMATS, type QuantFormat } from '../../model/quant/formats';
import { GPU_BLOCK_SPLIT } from '../../model/quant/gpu-layout';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { doraScale, doraScaleStride, doraScaleViews } from './dora_scale';
import { doraScaleRef } from './dora_scale.ref';
import { releaseQuantized, uploadQuantized } from './matmul_quant';
import { dequantizeWeight } from './matmul_quant.ref';
import { quantizeForTest } from './quant-testing';

const TOL = { atol: 1e-6, rtol: 2e-5 };

// Kernel under test: dora_scale, spliced with dora_weights_f32 (dense) or each stored format's decoder.
describe('DoRA magnitude scale', () => {
  // [N, K, r]: stories260K's gate (172 × 64) and down (64 × 172, K not a multiple of 8), one row, rank 1.
  it.each<[number, number, number]>([
    [172, 64, 4],
    [64, 172, 8],
    [1, 12, 1],
    [70, 40, 3],
  ])('dense f32 W [%i×%i], rank %i: m/n, 1/n and n match the float64 reference', async (n, k, r) => {
    const ctx = await testContext();
    const w = randomArray(n * k, 1, 0.3);
    const a = randomArray(r * k, 2, 0.4);
    const b = randomArray(n * r, 3, 0.5);
    const m = randomArray(n, 4, 2);
    const out = ctx.tensor([3 * doraScaleStride(n)]);
    const t = (shape: number[], v: Float32Array, label: string) => ctx.tensor(shape, 'f32', label, v);
    doraScale(ctx, { weight: t([n, k], w, 'w'), a: t([r, k], a, 'a'), b: t([n, r], b, 'b'), scale: 1.75, magnitude: t([n], m, 'm'), out });
    const ref = doraScaleRef(w, a, b, 1.75, m, n, k, r);
    const views = doraScaleViews(out, n);
    assertClose(await ctx.read(views.g), ref.g, TOL, 'm/n');
    assertClose(await ctx.read(views.invNorm), ref.invNorm, TOL, '1/n');
    assertClose(await ctx.read(views.norm), ref.norm, TOL, 'n');
  });

  it.each<QuantFormat>(['q8_0', 'q4_0', 'q4_k', 'q6_k', 'nf4', 'f16', 'bf16'])(
    'a %s base: the norms of the dequantized rows, with the weight split in two parts',
    async (format) => {
      const ctx = await testContext();
      const [n, k, r] = [40, 256, 4];
      const bytes = quantizeForTest(format, randomArray(n * k, 5, 0.2));
      const host = dequantizeWeight({ format, shape: [n, k], bytes });
      // Parts of at most 24 rows' quants: two dispatches, the second starting at row 24.
      const rowBytes = (k / QUANT_FORMATS[format].blockSize) * GPU_BLOCK_SPLIT[format].qWords * 4;
      const weight = uploadQuantized(ctx, { format, shape: [n, k], bytes, maxPartBytes: 24 * rowBytes });
      expect(weight.parts.length).toBeGreaterThan(1);
      const a = randomArray(r * k, 6, 0.1);
      const b = randomArray(n * r, 7, 0.3);
      const m = randomArray(n, 8);
      const out = ctx.tensor([3 * doraScaleStride(n)]);
      const t = (shape: number[], v: Float32Array, label: string) => ctx.tensor(shape, 'f32', label, v);
      doraScale(ctx, { weight, a: t([r, k], a, 'a'), b: t([n, r], b, 'b'), scale: 2, magnitude: t([n], m, 'm'), out });
      const ref = doraScaleRef(host, a, b, 2, m, n, k, r);
      assertClose(await ctx.read(doraScaleViews(out, n).g), ref.g, TOL, `${format} m/n`);
      assertClose(await ctx.read(doraScaleViews(out, n).norm), ref.norm, TOL, `${format} n`);
      releaseQuantized(ctx, weight);
    },
  );

  it('refuses mismatched shapes and a too-small output, naming the kernel', async () => {
    const ctx = await testContext();
    const weight = ctx.tensor([6, 8]);
    const a = ctx.tensor([2, 8]);
    const b = ctx.tensor([6, 2]);
    const m = ctx.tensor([6]);
    const out = ctx.tensor([3 * doraScaleStride(6)]);
    expect(() => doraScale(ctx, { weight, a: ctx.tensor([2, 7]), b, scale: 1, magnitude: m, out })).toThrow(/dora_scale_f32: a .* expected \[2×8:f32\]/);
    expect(() => doraScale(ctx, { weight, a, b: ctx.tensor([5, 2]), scale: 1, magnitude: m, out })).toThrow(/dora_scale_f32: b .* expected \[6×2:f32\]/);
    expect(() => doraScale(ctx, { weight, a, b, scale: 1, magnitude: m, out: ctx.tensor([18]) })).toThrow(/dora_scale_f32: out .* must hold 192/);
  });
});
