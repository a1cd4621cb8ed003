import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../context';
import type { Tensor } from '../tensor';
import { assertClose } from '../testing/compare';
import { testContext } from '../testing/gpu';
import { randomArray } from '../testing/random';
import { type AdamWArgs, adamwStep } from './adamw';
import { type AdamWHyper, adamwStepRef } from './adamw.ref';
import { gradNormSquared } from './grad_norm';
import { gradNormSquaredRef } from './grad_norm.ref';

// Sizes: 1, around the 256-thread workgroup, and not a multiple of it.
const SIZES = [1, 255, 257, 1000, 3 * 256 + 1];
const STEPS = 5;

interface Scenario {
  name: string;
  weightDecay: number;
  maxGradNorm?: number;
  zeroGrad?: boolean;
  /** A second group from this element on, with 16× the learning rate (LoRA+'s B). */
  group2Start?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'plain Adam', weightDecay: 0 },
  { name: 'weight decay', weightDecay: 0.1 },
  // ‖g‖ ≈ 22 here, so 1.5 clips every step and 1e3 never does.
  { name: 'clipped', weightDecay: 0.01, maxGradNorm: 1.5 },
  { name: 'clip inactive', weightDecay: 0.01, maxGradNorm: 1e3, zeroGrad: true },
  // The second group starts inside the tensors of 255 elements and more, and past the end of the 1-element one.
  { name: 'two learning-rate groups', weightDecay: 0.05, maxGradNorm: 1.5, group2Start: 200 },
];

function upload(ctx: GpuContext, arrays: Float32Array[], label: string): Tensor[] {
  return arrays.map((a, i) => ctx.tensor([a.length], 'f32', `${label}${i}`, a));
}

describe('adamw', () => {
  it.each(SCENARIOS)(`$name: ${STEPS} steps match the float64 reference`, async (s) => {
    const ctx = await testContext();
    const init = SIZES.map((n, i) => randomArray(n, 10 + i));
    const state = {
      params: init.map((a) => Float64Array.from(a)),
      m: SIZES.map((n) => new Float64Array(n)),
      v: SIZES.map((n) => new Float64Array(n)),
    };
    const params = upload(ctx, init, 'p');
    const grads = SIZES.map((n, i) => ctx.tensor([n], 'f32', `g${i}`));
    const m = SIZES.map((n, i) => ctx.tensor([n], 'f32', `m${i}`));
    const v = SIZES.map((n, i) => ctx.tensor([n], 'f32', `v${i}`));
    const normSq = ctx.tensor([2], 'f32', 'normSq');
    const hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: s.weightDecay };
    let scales = 0;
    for (let step = 1; step <= STEPS; step++) {
      const g = SIZES.map((n, i) => randomArray(n, 1000 * step + i, 0.8));
      g.forEach((a, i) => ctx.write(grads[i], a));
      const group2 = s.group2Start === undefined ? undefined : { start: s.group2Start, lrRatio: 16 };
      const args: AdamWArgs = { params, grads, m, v, ...hyper, step, zeroGrad: s.zeroGrad, group2 };
      if (s.maxGradNorm !== undefined) {
        gradNormSquared(ctx, grads, normSq, { index: 1 });
        Object.assign(args, { maxGradNorm: s.maxGradNorm, normSq, normSqIndex: 1 });
      }
      adamwStep(ctx, args);
      const refHyper: AdamWHyper = { ...hyper, step, maxGradNorm: s.maxGradNorm, group2 };
      scales += adamwStepRef(state, g, refHyper);
      if (s.maxGradNorm !== undefined) {
        assertClose([(await ctx.read(normSq))[1]], [gradNormSquaredRef(g)], { atol: 0, rtol: 1e-5 }, 'normSq');
      }
    }
    if (s.maxGradNorm === 1.5) expect(scales / STEPS).toBeLessThan(0.5);
    if (s.maxGradNorm === 1e3) expect(scales).toBe(STEPS);
    // Adam's step m̂/(√v̂+eps) is O(1) and well conditioned here; its f32 rounding, times the largest learning rate,
    // stays near 2e-4·lr over the steps.
    const tol = { atol: 2e-4 * hyper.lr * (s.group2Start === undefined ? 1 : 16), rtol: 1e-5 };
    for (let i = 0; i < SIZES.length; i++) {
      assertClose(await ctx.read(params[i]), state.params[i], tol, `param ${i} (n=${SIZES[i]})`);
      assertClose(await ctx.read(m[i]), state.m[i], tol, `m ${i}`);
      assertClose(await ctx.read(v[i]), state.v[i], { atol: 1e-7, rtol: 1e-5 }, `v ${i}`);
      const g = await ctx.read(grads[i]);
      if (s.zeroGrad) expect(g.every((x) => x === 0)).toBe(true);
      else expect(g.some((x) => x !== 0)).toBe(true);
    }
    for (const t of [...params, ...grads, ...m, ...v, normSq]) ctx.release(t);
  });

  it('refuses bad hyperparameters, lists and aliasing, naming the kernel', async () => {
    const ctx = await testContext();
    const t = () => [ctx.tensor([8])];
    const base: AdamWArgs = {
      params: t(), grads: t(), m: t(), v: t(),
      lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1,
    };
    expect(() => adamwStep(ctx, { ...base, step: 0 })).toThrow(/adamw_update: step = 0/);
    expect(() => adamwStep(ctx, { ...base, beta1: 1 })).toThrow(/adamw_update: beta1 = 1 is outside/);
    expect(() => adamwStep(ctx, { ...base, lr: Number.NaN })).toThrow(/adamw_update: lr = NaN/);
    expect(() => adamwStep(ctx, { ...base, m: [] })).toThrow(/adamw_update: lists differ in length/);
    expect(() => adamwStep(ctx, { ...base, v: [ctx.tensor([9])] })).toThrow(/adamw_update: sizes differ/);
    expect(() => adamwStep(ctx, { ...base, grads: base.params })).toThrow(/shares its buffer/);
    expect(() => adamwStep(ctx, { ...base, maxGradNorm: 1 })).toThrow(/adamw_update: maxGradNorm needs normSq/);
    expect(() => adamwStep(ctx, { ...base, maxGradNorm: 1, normSq: base.grads[0] })).toThrow(/normSq .* shares/);
    expect(() => adamwStep(ctx, { ...base, grads: [ctx.tensor([8], 'i32')] })).toThrow(/must be f32/);
    expect(() => adamwStep(ctx, { ...base, group2: { start: 2, lrRatio: -1 } })).toThrow(/group2.lrRatio = -1/);
    expect(() => adamwStep(ctx, { ...base, group2: { start: 1.5, lrRatio: 2 } })).toThrow(/group2.start = 1.5/);
  });
});
